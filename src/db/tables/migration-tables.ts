import type { Generated } from 'kysely'

/** Row type of Nova's `migrations` (migration 2026-12-07-001): one move of an instance (resize; later cold/live migration, evacuation). */
export interface MigrationsTable {
  id: Generated<number>
  /** Also the placement consumer holding the source's resources until the move is confirmed or reverted. */
  uuid: string
  instance_uuid: string
  /** `resize`, `migration`, `live-migration` or `evacuation`. */
  migration_type: string
  /** Nova's statuses: pre-migrating, migrating, post-migrating, finished, confirming, confirmed, reverting, reverted, error. */
  status: string
  source_compute: string | null
  dest_compute: string | null
  source_node: string | null
  dest_node: string | null
  dest_host: string | null
  /** Flavor ids before and after (Nova's instance type ids). */
  old_instance_type_id: string | null
  new_instance_type_id: string | null
  /** The flavor snapshots (JSON) the instance has before and after the move. */
  old_flavor: string | null
  new_flavor: string | null
  project_id: string | null
  user_id: string | null
  hidden: Generated<number>
  cross_cell_move: Generated<number>
  memory_total: number | null
  memory_processed: number | null
  memory_remaining: number | null
  disk_total: number | null
  disk_processed: number | null
  disk_remaining: number | null
  created_at: string
  updated_at: string | null
  deleted: Generated<number>
  deleted_at: string | null
}

export interface MigrationTables {
  migrations: MigrationsTable
}
