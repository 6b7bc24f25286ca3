import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Nova's per-user quotas (its `project_user_quotas` table): a user's limit of
// one compute resource inside one project, set by an admin through
// `os-quota-sets/{project}?user_id=`. The project-level `quotas` table keys
// on (service, project, resource) and cannot hold a user, so user limits get
// their own table, as in Nova; a resource without a row has the project's limit.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('project_user_quotas')
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(64)', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_user_quotas_pk', ['project_id', 'user_id', 'resource'])
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('project_user_quotas').execute()
}
