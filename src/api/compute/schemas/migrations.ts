import { Any, Closed, Links, Opt } from './response-parts.js'
import { Type } from '@sinclair/typebox'

/** One `os-migrations` entry (views/migration-view.ts): optional keys per microversion. */
const OsMigration = Closed({
  id: Any, uuid: Opt(Any), instance_uuid: Any, status: Any, migration_type: Opt(Any),
  source_compute: Any, dest_compute: Any, source_node: Any, dest_node: Any, dest_host: Any,
  old_instance_type_id: Any, new_instance_type_id: Any, created_at: Any, updated_at: Any,
  user_id: Opt(Any), project_id: Opt(Any), links: Opt(Links),
})

/** `GET /os-migrations`. */
export const OsMigrationListResponse = { 200: Closed({ migrations: Type.Array(OsMigration), migrations_links: Opt(Links) }) }

/** One `servers/{id}/migrations` entry (Nova's server_migrations.py `output`). */
const ServerMigration = Closed({
  id: Any, uuid: Opt(Any), server_uuid: Any, status: Any, source_compute: Any, dest_compute: Any, source_node: Any, dest_node: Any, dest_host: Any,
  memory_total_bytes: Any, memory_processed_bytes: Any, memory_remaining_bytes: Any, disk_total_bytes: Any, disk_processed_bytes: Any, disk_remaining_bytes: Any,
  created_at: Any, updated_at: Any, user_id: Opt(Any), project_id: Opt(Any),
})

/** `GET /servers/{id}/migrations`. */
export const ServerMigrationListResponse = { 200: Closed({ migrations: Type.Array(ServerMigration) }) }
/** `GET /servers/{id}/migrations/{mid}`. */
export const ServerMigrationResponse = { 200: Closed({ migration: ServerMigration }) }
