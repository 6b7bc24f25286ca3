import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../../db/schema.js'
import type { ProviderRow } from './db-types.js'
import { Conflict, InvalidRequest, NotFound } from '../errors.js'
import { ConcurrentUpdate, PlacementCode, isUniqueViolation } from './placement-errors.js'
import { nowIso } from '../time.js'

/** Fetches a provider or throws Placement's 404. */
export async function getProvider(db: Db, uuid: string): Promise<ProviderRow> {
  const row = await db.selectFrom('placement_resource_providers').selectAll().where('uuid', '=', uuid).executeTakeFirst()
  if (!row) throw new NotFound(`No resource provider with uuid ${uuid} found`, PlacementCode.RESOURCE_PROVIDER_NOT_FOUND)
  return row
}

/**
 * Bumps a provider's generation. With `expected`, only when the generation
 * still is `expected` (compare-and-set; else 409 concurrent update). Without
 * it the update takes the row lock, which serialises writers on PostgreSQL.
 */
export async function bumpGeneration(db: Db, uuid: string, expected?: number, message?: string): Promise<number> {
  let q = db.updateTable('placement_resource_providers')
    .set({ generation: sql`generation + 1`, updated_at: nowIso() })
    .where('uuid', '=', uuid)
  if (expected !== undefined) q = q.where('generation', '=', expected)
  const result = await q.executeTakeFirst()
  if (Number(result.numUpdatedRows) === 0) {
    await getProvider(db, uuid)
    throw new ConcurrentUpdate(message ?? `resource provider generation conflict`)
  }
  const row = await getProvider(db, uuid)
  return row.generation
}

function objectActionError(action: string, reason: string): string {
  return `Object action ${action} failed because: ${reason}`
}

/** Creates a provider (a new uuid unless given); 409 on a duplicate name or uuid. */
export async function createProvider(db: Db, input: { name: string; uuid?: string; parentProviderUuid?: string | null }): Promise<ProviderRow> {
  const uuid = (input.uuid ?? randomUUID()).toLowerCase()
  const now = nowIso()
  let root = uuid
  const parent = input.parentProviderUuid ?? null
  if (parent !== null) {
    const fail = (reason: string) => new InvalidRequest(`Unable to create resource provider "${input.name}", ${uuid}: ${objectActionError('create', reason)}`)
    if (parent === uuid) throw fail('parent provider UUID cannot be same as UUID. Please set parent provider UUID to None if there is no parent.')
    const parentRow = await db.selectFrom('placement_resource_providers').selectAll().where('uuid', '=', parent).executeTakeFirst()
    if (!parentRow) throw fail('parent provider UUID does not exist.')
    root = parentRow.root_provider_uuid
  }
  const duplicates: string[] = []
  if (await db.selectFrom('placement_resource_providers').select('uuid').where('uuid', '=', uuid).executeTakeFirst()) duplicates.push(`uuid: ${uuid}`)
  if (await db.selectFrom('placement_resource_providers').select('uuid').where('name', '=', input.name).executeTakeFirst()) duplicates.push(`name: ${input.name}`)
  if (duplicates.length > 0) throw new Conflict(`Conflicting resource provider ${duplicates.join(', ')} already exists.`, PlacementCode.DUPLICATE_NAME)
  const row: ProviderRow = { uuid, name: input.name, generation: 0, parent_provider_uuid: parent, root_provider_uuid: root, created_at: now, updated_at: now }
  try {
    await db.insertInto('placement_resource_providers').values(row).execute()
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(`Conflicting resource provider name: ${input.name} already exists.`, PlacementCode.DUPLICATE_NAME)
    throw error
  }
  return row
}

/** Every provider in the subtree rooted at `uuid`, itself included. */
async function subtreeUuids(db: Db, uuid: string): Promise<Set<string>> {
  const row = await getProvider(db, uuid)
  const all = await db.selectFrom('placement_resource_providers').select(['uuid', 'parent_provider_uuid']).where('root_provider_uuid', '=', row.root_provider_uuid).execute()
  const found = new Set([uuid])
  let grew = true
  while (grew) {
    grew = false
    for (const p of all) {
      if (p.parent_provider_uuid && found.has(p.parent_provider_uuid) && !found.has(p.uuid)) {
        found.add(p.uuid)
        grew = true
      }
    }
  }
  return found
}

/**
 * Renames a provider and (1.14+) sets its parent. Re-parenting and
 * un-parenting need 1.37 (`allowReparenting`); the whole subtree moves to
 * the new root.
 */
export async function updateProvider(db: Db, uuid: string, input: { name: string; parentProviderUuid?: string | null }, allowReparenting: boolean): Promise<ProviderRow> {
  return db.transaction().execute(async (trx) => {
    const row = await getProvider(trx, uuid)
    const fail = (action: string, reason: string) => new InvalidRequest(`Unable to save resource provider ${uuid}: ${objectActionError(action, reason)}`)
    let parent = row.parent_provider_uuid
    let root = row.root_provider_uuid
    if (input.parentProviderUuid !== undefined && input.parentProviderUuid !== row.parent_provider_uuid) {
      const wanted = input.parentProviderUuid
      if (wanted === null) {
        if (!allowReparenting) throw fail('update', 'un-parenting a provider is not currently allowed.')
        parent = null
        root = uuid
      } else {
        const parentRow = await trx.selectFrom('placement_resource_providers').selectAll().where('uuid', '=', wanted).executeTakeFirst()
        if (!parentRow) throw fail('create', 'parent provider UUID does not exist.')
        if (row.parent_provider_uuid !== null && !allowReparenting) throw fail('update', 're-parenting a provider is not currently allowed.')
        const subtree = await subtreeUuids(trx, uuid)
        if (subtree.has(wanted)) throw fail('update', 'creating loop in the provider tree is not allowed.')
        parent = wanted
        root = parentRow.root_provider_uuid
      }
    }
    const clash = await trx.selectFrom('placement_resource_providers').select('uuid').where('name', '=', input.name).where('uuid', '!=', uuid).executeTakeFirst()
    if (clash) throw new Conflict(`Conflicting resource provider ${input.name} already exists.`, PlacementCode.DUPLICATE_NAME)
    const now = nowIso()
    if (root !== row.root_provider_uuid) {
      const subtree = [...(await subtreeUuids(trx, uuid))]
      await trx.updateTable('placement_resource_providers').set({ root_provider_uuid: root }).where('uuid', 'in', subtree).execute()
    }
    await trx.updateTable('placement_resource_providers').set({ name: input.name, parent_provider_uuid: parent, updated_at: now }).where('uuid', '=', uuid).execute()
    return { ...row, name: input.name, parent_provider_uuid: parent, root_provider_uuid: root, updated_at: now }
  })
}

/** Deletes a provider with its inventories, traits and aggregates; 409 while it has allocations or children. */
export async function deleteProvider(db: Db, uuid: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('placement_resource_providers').select('uuid').where('uuid', '=', uuid).executeTakeFirst()
    if (!row) throw new NotFound(`No resource provider with uuid ${uuid} found for delete`, PlacementCode.RESOURCE_PROVIDER_NOT_FOUND)
    const used = await trx.selectFrom('placement_allocations').select('consumer_uuid').where('provider_uuid', '=', uuid).executeTakeFirst()
    if (used) throw new Conflict(`Unable to delete resource provider ${uuid}: Resource provider has allocations.`, PlacementCode.PROVIDER_IN_USE)
    const child = await trx.selectFrom('placement_resource_providers').select('uuid').where('parent_provider_uuid', '=', uuid).executeTakeFirst()
    if (child) throw new Conflict(`Unable to delete parent resource provider ${uuid}: It has child resource providers.`, PlacementCode.PROVIDER_CANNOT_DELETE_PARENT)
    await trx.deleteFrom('placement_inventories').where('provider_uuid', '=', uuid).execute()
    await trx.deleteFrom('placement_provider_traits').where('provider_uuid', '=', uuid).execute()
    await trx.deleteFrom('placement_provider_aggregates').where('provider_uuid', '=', uuid).execute()
    await trx.deleteFrom('placement_resource_providers').where('uuid', '=', uuid).execute()
  })
}

/** The provider's aggregate uuids. */
export async function getAggregates(db: Db, uuid: string): Promise<{ generation: number; aggregates: string[] }> {
  const row = await getProvider(db, uuid)
  const rows = await db.selectFrom('placement_provider_aggregates').select('aggregate_uuid').where('provider_uuid', '=', uuid).orderBy('aggregate_uuid').execute()
  return { generation: row.generation, aggregates: rows.map((r) => r.aggregate_uuid) }
}

/** Replaces the provider's aggregates; with `expectedGeneration` (1.19+) it is compare-and-set and bumps the generation. */
export async function setAggregates(db: Db, uuid: string, aggregates: string[], expectedGeneration?: number): Promise<{ generation: number; aggregates: string[] }> {
  return db.transaction().execute(async (trx) => {
    let generation = (await getProvider(trx, uuid)).generation
    if (expectedGeneration !== undefined) {
      generation = await bumpGeneration(trx, uuid, expectedGeneration, "Resource provider's generation already changed. Please update the generation and try again.")
    }
    await trx.deleteFrom('placement_provider_aggregates').where('provider_uuid', '=', uuid).execute()
    if (aggregates.length > 0) {
      await trx.insertInto('placement_provider_aggregates').values(aggregates.map((a) => ({ provider_uuid: uuid, aggregate_uuid: a }))).execute()
    }
    return { generation, aggregates }
  })
}
