import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Nova's server groups (the API database's instance_groups,
// instance_group_policy and instance_group_member, folded into two tables:
// Nova allows one policy per group since 2.64, so it is a column, and the
// rules — {"max_server_per_host": n} for anti-affinity — JSON text).
// A member row is written with the instance in the boot transaction and
// removed when the instance is deleted; views and counts still join live
// instances, as Nova shows only members that are not deleted.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('server_groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('policy', 'varchar(32)', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('server_groups_project').on('server_groups').columns(['project_id', 'user_id']).execute()
  await db.schema
    .createTable('server_group_members')
    .addColumn('group_id', 'varchar(36)', (c) => c.notNull().references('server_groups.id'))
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('server_group_members_pk', ['group_id', 'instance_uuid'])
    .execute()
  await db.schema.createIndex('server_group_members_instance').on('server_group_members').column('instance_uuid').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('server_group_members').execute()
  await db.schema.dropTable('server_groups').execute()
}
