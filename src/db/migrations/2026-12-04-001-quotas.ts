import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// `quotas`: a project's quota overrides per service (Nova's and Cinder's
// `quotas` tables); a resource without a row has the service's default.
// `quota_locks`: one row per project, upserted at the start of every
// quota-checked create so that concurrent creates of one project queue on it
// (a row lock on PostgreSQL; SQLite serialises writers anyway) and the count
// and the insert happen as one step.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('quotas')
    .addColumn('service', 'varchar(16)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('resource', 'varchar(64)', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['service', 'project_id', 'resource'])
    .execute()
  await db.schema
    .createTable('quota_locks')
    .addColumn('project_id', 'varchar(64)', (c) => c.primaryKey())
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('quota_locks').execute()
  await db.schema.dropTable('quotas').execute()
}
