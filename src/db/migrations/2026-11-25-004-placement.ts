import type { Kysely } from 'kysely'

// Migrations are frozen in time: they take Kysely<any> and import no app code.
// The standard resource classes and traits are seeded by the placement service at start.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('placement_resource_providers')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull().unique())
    .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('parent_provider_uuid', 'varchar(36)', (c) => c.references('placement_resource_providers.uuid'))
    .addColumn('root_provider_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('placement_rp_root').on('placement_resource_providers').column('root_provider_uuid').execute()

  await db.schema
    .createTable('placement_resource_classes')
    .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('standard', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('placement_traits')
    .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('standard', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('placement_inventories')
    .addColumn('provider_uuid', 'varchar(36)', (c) => c.notNull().references('placement_resource_providers.uuid').onDelete('cascade'))
    .addColumn('resource_class', 'varchar(255)', (c) => c.notNull().references('placement_resource_classes.name'))
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('reserved', 'integer', (c) => c.notNull())
    .addColumn('min_unit', 'integer', (c) => c.notNull())
    .addColumn('max_unit', 'integer', (c) => c.notNull())
    .addColumn('step_size', 'integer', (c) => c.notNull())
    .addColumn('allocation_ratio', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('placement_inventories_pk', ['provider_uuid', 'resource_class'])
    .execute()

  await db.schema
    .createTable('placement_provider_traits')
    .addColumn('provider_uuid', 'varchar(36)', (c) => c.notNull().references('placement_resource_providers.uuid').onDelete('cascade'))
    .addColumn('trait', 'varchar(255)', (c) => c.notNull().references('placement_traits.name'))
    .addPrimaryKeyConstraint('placement_provider_traits_pk', ['provider_uuid', 'trait'])
    .execute()

  await db.schema
    .createTable('placement_provider_aggregates')
    .addColumn('provider_uuid', 'varchar(36)', (c) => c.notNull().references('placement_resource_providers.uuid').onDelete('cascade'))
    .addColumn('aggregate_uuid', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('placement_provider_aggregates_pk', ['provider_uuid', 'aggregate_uuid'])
    .execute()

  await db.schema
    .createTable('placement_consumers')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('consumer_type', 'varchar(255)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('placement_consumers_project').on('placement_consumers').columns(['project_id', 'user_id']).execute()

  await db.schema
    .createTable('placement_allocations')
    .addColumn('provider_uuid', 'varchar(36)', (c) => c.notNull().references('placement_resource_providers.uuid'))
    .addColumn('consumer_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('resource_class', 'varchar(255)', (c) => c.notNull().references('placement_resource_classes.name'))
    .addColumn('used', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('placement_allocations_pk', ['provider_uuid', 'consumer_uuid', 'resource_class'])
    .execute()
  await db.schema.createIndex('placement_allocations_consumer').on('placement_allocations').column('consumer_uuid').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'placement_allocations', 'placement_consumers', 'placement_provider_aggregates', 'placement_provider_traits',
    'placement_inventories', 'placement_traits', 'placement_resource_classes', 'placement_resource_providers',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
