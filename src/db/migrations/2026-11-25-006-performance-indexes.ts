import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Placement sums `used` by provider and resource class on every scheduling
// and claim; this index answers those sums without reading the table.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('placement_allocations_provider_class')
    .on('placement_allocations').columns(['provider_uuid', 'resource_class', 'used']).execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('placement_allocations_provider_class').execute()
}
