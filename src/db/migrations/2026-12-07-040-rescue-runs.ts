import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Rescue runs (docs/rescue-runs.md): `rescue_runs` is a fleet run (its script,
// its set of servers resolved at creation, its rate and error budget, its
// state); `server_runs` is one server's run — alone (a rescue with
// `lifeboat:run`, fleet_id null) or as a fleet's member — with its state and
// result. The fleet loop advances rows by compare-and-set on `state`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rescue_runs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('all_projects', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('script', 'text', (c) => c.notNull())
    .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
    .addColumn('unrescue', 'varchar(16)', (c) => c.notNull())
    .addColumn('discard_on_failure', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('selector', 'text', (c) => c.notNull())
    .addColumn('rescue_image_ref', 'varchar(36)')
    .addColumn('max_in_flight', 'integer', (c) => c.notNull())
    .addColumn('error_budget_count', 'integer')
    .addColumn('error_budget_percent', 'integer')
    .addColumn('canary', 'integer', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(32)')
    .execute()
  await db.schema.createIndex('rescue_runs_project_idx').on('rescue_runs').columns(['project_id', 'created_at']).execute()
  await db.schema.createIndex('rescue_runs_state_idx').on('rescue_runs').column('state').execute()
  await db.schema
    .createTable('server_runs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('fleet_id', 'varchar(36)')
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
    .addColumn('unrescue', 'varchar(16)', (c) => c.notNull())
    .addColumn('discard_on_failure', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('exit_status', 'integer')
    .addColumn('output', 'text')
    .addColumn('output_truncated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duration_ms', 'integer')
    .addColumn('timed_out', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('succeeded', 'integer')
    .addColumn('action_id', 'varchar(36)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)')
    .addColumn('finished_at', 'varchar(32)')
    .execute()
  await db.schema.createIndex('server_runs_fleet_idx').on('server_runs').columns(['fleet_id', 'position']).execute()
  await db.schema.createIndex('server_runs_instance_idx').on('server_runs').columns(['instance_uuid', 'state']).execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('server_runs').execute()
  await db.schema.dropTable('rescue_runs').execute()
}
