import type { MigrationRow } from '../../../services/compute/resize.js'
import { isAtLeast, type Microversion } from '../../common/microversion.js'
import { LIVE_MIGRATION_IN_PROGRESS } from '../../../services/compute/migration-service.js'
import { resourceLinks } from './resource-links.js'

/** Nova's migration times (`obj_to_primitive` of a datetime): `YYYY-MM-DDTHH:MM:SS.ffffff`, no zone. */
function migrationTime(iso: string | null): string | null {
  return iso === null ? null : iso.replace(/\.(\d{3})Z$/, '.$1000').replace(/Z$/, '.000000')
}

/** Nova keeps integer flavor ids here; Lifeboat's flavor ids are strings, shown as integers when they are ones. */
function flavorId(id: string | null): string | number | null {
  return id !== null && /^\d{1,15}$/.test(id) ? Number(id) : id
}

/** The keys every migration view has. */
interface MigrationViewBase {
  id: number; status: string; source_compute: string | null; dest_compute: string | null; source_node: string | null; dest_node: string | null
  dest_host: string | null; created_at: string | null; updated_at: string | null; uuid?: string; user_id?: string | null; project_id?: string | null
}

/** An `os-migrations` entry as the API writes it. */
export interface OsMigrationView extends MigrationViewBase {
  instance_uuid: string; old_instance_type_id: string | number | null; new_instance_type_id: string | number | null
  migration_type?: string; links?: ReturnType<typeof resourceLinks>
}

/** A `servers/{id}/migrations` entry as the API writes it. */
export interface ServerMigrationView extends MigrationViewBase {
  server_uuid: string; memory_total_bytes: number | null; memory_processed_bytes: number | null; memory_remaining_bytes: number | null
  disk_total_bytes: number | null; disk_processed_bytes: number | null; disk_remaining_bytes: number | null
}

/**
 * An `os-migrations` entry (nova/api/openstack/compute/migrations.py `_output`):
 * migration_type from 2.23 with links for an in-progress live migration,
 * uuid from 2.59, user_id and project_id from 2.80.
 */
export function osMigrationView(m: MigrationRow, microversion: Microversion, base: string): OsMigrationView {
  const view: OsMigrationView = {
    id: m.id, instance_uuid: m.instance_uuid, status: m.status,
    source_compute: m.source_compute, dest_compute: m.dest_compute, source_node: m.source_node, dest_node: m.dest_node, dest_host: m.dest_host,
    old_instance_type_id: flavorId(m.old_instance_type_id), new_instance_type_id: flavorId(m.new_instance_type_id),
    created_at: migrationTime(m.created_at), updated_at: migrationTime(m.updated_at),
  }
  if (isAtLeast(microversion, '2.59')) view.uuid = m.uuid
  if (isAtLeast(microversion, '2.80')) Object.assign(view, { user_id: m.user_id, project_id: m.project_id })
  if (isAtLeast(microversion, '2.23')) {
    view.migration_type = m.migration_type
    if (m.migration_type === 'live-migration' && LIVE_MIGRATION_IN_PROGRESS.includes(m.status)) view.links = resourceLinks(base, `servers/${m.instance_uuid}/migrations`, String(m.id))
  }
  return view
}

/** A `servers/{id}/migrations` entry (nova/api/openstack/compute/server_migrations.py `output`). */
export function serverMigrationView(m: MigrationRow, microversion: Microversion): ServerMigrationView {
  return {
    created_at: migrationTime(m.created_at), dest_compute: m.dest_compute, dest_host: m.dest_host, dest_node: m.dest_node,
    disk_processed_bytes: m.disk_processed, disk_remaining_bytes: m.disk_remaining, disk_total_bytes: m.disk_total, id: m.id,
    memory_processed_bytes: m.memory_processed, memory_remaining_bytes: m.memory_remaining, memory_total_bytes: m.memory_total,
    server_uuid: m.instance_uuid, source_compute: m.source_compute, source_node: m.source_node, status: m.status, updated_at: migrationTime(m.updated_at),
    ...(isAtLeast(microversion, '2.59') ? { uuid: m.uuid } : {}),
    ...(isAtLeast(microversion, '2.80') ? { user_id: m.user_id, project_id: m.project_id } : {}),
  }
}
