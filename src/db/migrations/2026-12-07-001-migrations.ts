import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Nova's `migrations` table (nova/db/main/models.py Migration): one row per
// move of an instance (resize now; cold/live migration and evacuation later,
// told apart by `migration_type`). Its `uuid` is the placement consumer that
// holds the source's resources while the move is unconfirmed. Nova keeps the
// old and new flavors on the instance (instance_extra); here they travel on
// the migration row (`old_flavor`, `new_flavor`: the flavor snapshots as JSON).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Nova's integer id (os-migrations shows it): SQLite's rowid alias, PostgreSQL's serial.
  const postgres = db.getExecutor().adapter.constructor.name.startsWith('Postgres')
  await db.schema
    .createTable('migrations')
    .addColumn('id', postgres ? 'serial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('migration_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'varchar(255)', (c) => c.notNull())
    .addColumn('source_compute', 'varchar(255)')
    .addColumn('dest_compute', 'varchar(255)')
    .addColumn('source_node', 'varchar(255)')
    .addColumn('dest_node', 'varchar(255)')
    .addColumn('dest_host', 'varchar(255)')
    .addColumn('old_instance_type_id', 'varchar(255)')
    .addColumn('new_instance_type_id', 'varchar(255)')
    .addColumn('old_flavor', 'text')
    .addColumn('new_flavor', 'text')
    .addColumn('project_id', 'varchar(255)')
    .addColumn('user_id', 'varchar(255)')
    .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cross_cell_move', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('memory_total', 'bigint')
    .addColumn('memory_processed', 'bigint')
    .addColumn('memory_remaining', 'bigint')
    .addColumn('disk_total', 'bigint')
    .addColumn('disk_processed', 'bigint')
    .addColumn('disk_remaining', 'bigint')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_at', 'varchar(32)')
    .execute()
  await db.schema.createIndex('migrations_instance_uuid_status_idx').on('migrations').columns(['instance_uuid', 'status']).execute()
  await db.schema.createIndex('migrations_status_updated_idx').on('migrations').columns(['status', 'updated_at']).execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('migrations').execute()
}
