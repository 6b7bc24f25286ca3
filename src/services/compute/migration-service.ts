import type { Store } from '../store.js'
import type { CallContext } from './call-context.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { InstanceRow } from './instance-store.js'
import type { MigrationRow } from './resize.js'
import { authorize } from '../policy.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { getInstanceDetails } from './instance-store.js'

/** Nova's in-progress live migration statuses (server_migrations.py, migrations.py). */
export const LIVE_MIGRATION_IN_PROGRESS: readonly string[] = ['queued', 'preparing', 'running', 'post-migrating']

/** The filters of `GET /os-migrations` (nova/db/main/api.py `migration_get_all_by_filters`). */
export interface MigrationFilters {
  readonly status?: string
  /** Source or destination compute. */
  readonly host?: string
  readonly sourceCompute?: string
  readonly instanceUuid?: string
  readonly migrationType?: string
  readonly userId?: string
  readonly projectId?: string
  /** ISO times: `updated_at` at or after / at or before. */
  readonly changesSince?: string
  readonly changesBefore?: string
  /** 2.59+: newest first (created_at, id), paged by `limit` and `marker` (a migration uuid). */
  readonly sorted?: boolean
  readonly limit?: number
  readonly marker?: string
}

const SERVER_POLICY = (verb: string) => `os_compute_api:servers:migrations:${verb}`

/** Nova's MigrationNotFoundForInstance text. */
function notFoundForInstance(id: string, instanceUuid: string): string {
  return `Migration ${id} not found for instance ${instanceUuid}`
}

/**
 * Nova's migration views: `os-migrations` (admin, every move of every
 * instance) and `servers/{id}/migrations` (in-progress live migrations only,
 * whose abort and force-complete live in live-migration-abort.ts).
 */
export class MigrationService {
  constructor(private readonly deps: Store) {}

  /** `GET /os-migrations`: the visible (not hidden, not deleted) migrations matching `filters`. */
  async list(auth: AuthContext, filters: MigrationFilters): Promise<MigrationRow[]> {
    authorize(auth, 'os_compute_api:os-migrations:index', 'admin')
    let query = this.deps.db.selectFrom('migrations').selectAll().where('deleted', '=', 0).where('hidden', '=', 0)
    if (filters.status !== undefined) query = query.where('status', '=', filters.status)
    if (filters.host !== undefined) {
      const host = filters.host
      query = query.where((eb) => eb.or([eb('source_compute', '=', host), eb('dest_compute', '=', host)]))
    } else if (filters.sourceCompute !== undefined) query = query.where('source_compute', '=', filters.sourceCompute)
    if (filters.instanceUuid !== undefined) query = query.where('instance_uuid', '=', filters.instanceUuid)
    if (filters.migrationType !== undefined) query = query.where('migration_type', '=', filters.migrationType)
    if (filters.userId !== undefined) query = query.where('user_id', '=', filters.userId)
    if (filters.projectId !== undefined) query = query.where('project_id', '=', filters.projectId)
    if (filters.changesSince !== undefined) query = query.where('updated_at', '>=', filters.changesSince)
    if (filters.changesBefore !== undefined) query = query.where('updated_at', '<=', filters.changesBefore)
    if (!filters.sorted) return query.orderBy('id', 'asc').execute()
    if (filters.marker !== undefined) {
      const marker = await this.deps.db.selectFrom('migrations').select(['id', 'created_at']).where('uuid', '=', filters.marker).executeTakeFirst()
      if (!marker) throw new InvalidRequest(`Marker ${filters.marker} could not be found.`)
      query = query.where((eb) => eb.or([eb('created_at', '<', marker.created_at), eb.and([eb('created_at', '=', marker.created_at), eb('id', '<', marker.id)])]))
    }
    query = query.orderBy('created_at', 'desc').orderBy('id', 'desc')
    return filters.limit !== undefined ? query.limit(filters.limit).execute() : query.execute()
  }

  /** `GET /servers/{id}/migrations` (2.23): the server's in-progress live migrations. */
  async listForServer(call: CallContext, serverId: string): Promise<MigrationRow[]> {
    const auth = authorize(call.auth, SERVER_POLICY('index'), 'admin')
    const instance = await this.instance(auth, serverId)
    return this.deps.db.selectFrom('migrations').selectAll().where('instance_uuid', '=', instance.uuid).where('deleted', '=', 0)
      .where('migration_type', '=', 'live-migration').where('status', 'in', [...LIVE_MIGRATION_IN_PROGRESS]).orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
  }

  /** `GET /servers/{id}/migrations/{mid}` (2.23): 404 with Nova's words unless an in-progress live migration. */
  async showForServer(call: CallContext, serverId: string, id: string): Promise<MigrationRow> {
    const auth = authorize(call.auth, SERVER_POLICY('show'), 'admin')
    const instance = await this.instance(auth, serverId)
    const migration = await this.migrationOf(instance, id)
    if (!migration) throw new NotFound(`In-progress live migration ${id} is not found for server ${serverId}.`)
    if (migration.migration_type !== 'live-migration') throw new NotFound(`Migration ${id} for server ${serverId} is not live-migration.`)
    if (!LIVE_MIGRATION_IN_PROGRESS.includes(migration.status)) throw new NotFound(`Live migration ${id} for server ${serverId} is not in progress.`)
    return migration
  }

  private async instance(auth: AuthContext, serverId: string): Promise<InstanceRow> {
    return (await getInstanceDetails(this.deps.db, auth, serverId, { metadata: false, tags: false, securityGroups: false })).row
  }

  /** Nova's `get_by_id_and_instance`: the integer id among the instance's migrations. */
  private async migrationOf(instance: InstanceRow, id: string): Promise<MigrationRow | null> {
    if (!/^\d+$/.test(id) || Number(id) > 2 ** 31 - 1) return null
    return (await this.deps.db.selectFrom('migrations').selectAll().where('id', '=', Number(id)).where('instance_uuid', '=', instance.uuid).where('deleted', '=', 0).executeTakeFirst()) ?? null
  }
}
