import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Nova's host aggregates (the API database's aggregates, aggregate_hosts and
// aggregate_metadata). `id` is Nova's integer id, handed out by the service
// (max + 1 in the creating transaction; the unique key settles a race);
// `uuid` is the placement aggregate the hosts' resource providers join.
// An aggregate's availability zone is its `availability_zone` metadata.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('aggregates')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .execute()
  await db.schema
    .createTable('aggregate_hosts')
    .addColumn('aggregate_id', 'integer', (c) => c.notNull().references('aggregates.id'))
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('aggregate_hosts_pk', ['aggregate_id', 'host'])
    .execute()
  await db.schema.createIndex('aggregate_hosts_host').on('aggregate_hosts').column('host').execute()
  await db.schema
    .createTable('aggregate_metadata')
    .addColumn('aggregate_id', 'integer', (c) => c.notNull().references('aggregates.id'))
    .addColumn('key', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('aggregate_metadata_pk', ['aggregate_id', 'key'])
    .execute()
  await db.schema.createIndex('aggregate_metadata_key').on('aggregate_metadata').columns(['key', 'value']).execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('aggregate_metadata').execute()
  await db.schema.dropTable('aggregate_hosts').execute()
  await db.schema.dropTable('aggregates').execute()
}
