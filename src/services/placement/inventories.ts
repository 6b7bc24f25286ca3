import type { Db } from '../../db/schema.js'
import type { InventoryFields, InventoryRow } from './db-types.js'
import { Conflict, InvalidRequest, NotFound } from '../errors.js'
import { ConcurrentUpdate, PlacementCode } from './placement-errors.js'
import { bumpGeneration, getProvider } from './providers.js'
import { unknownResourceClasses } from './names.js'
import { nowIso } from '../time.js'

/** One provider's inventories with its generation. */
export interface ProviderInventories {
  generation: number
  inventories: Record<string, InventoryFields>
}

function fields(row: InventoryRow): InventoryFields {
  return { total: row.total, reserved: row.reserved, min_unit: row.min_unit, max_unit: row.max_unit, step_size: row.step_size, allocation_ratio: row.allocation_ratio }
}

/**
 * handlers/inventory.py _validate_inventory_capacity: before 1.26 reserved
 * must be below total, from 1.26 it may equal it.
 */
export function assertInventoryCapacity(providerUuid: string, rc: string, inv: InventoryFields, allowReservedEqualTotal: boolean, prefix: string): void {
  const capacity = inv.total - inv.reserved
  if (allowReservedEqualTotal ? capacity < 0 : capacity <= 0) {
    const rule = allowReservedEqualTotal ? 'The reserved value is greater than total.' : 'The reserved value is greater than or equal to total.'
    throw new InvalidRequest(`${prefix}Invalid inventory for '${rc}' on resource provider '${providerUuid}'. ${rule}`)
  }
}

/** The provider's inventories by class. */
export async function getInventories(db: Db, uuid: string): Promise<ProviderInventories> {
  const provider = await getProvider(db, uuid)
  const rows = await db.selectFrom('placement_inventories').selectAll().where('provider_uuid', '=', uuid).orderBy('resource_class').execute()
  return { generation: provider.generation, inventories: Object.fromEntries(rows.map((r) => [r.resource_class, fields(r)])) }
}

/** Classes among `classes` that have allocations on the provider. */
async function classesInUse(db: Db, uuid: string, classes: string[]): Promise<string[]> {
  if (classes.length === 0) return []
  const rows = await db.selectFrom('placement_allocations').select('resource_class').distinct()
    .where('provider_uuid', '=', uuid).where('resource_class', 'in', classes).orderBy('resource_class').execute()
  return rows.map((r) => r.resource_class)
}

/**
 * Replaces all inventories of a provider inside `trx` (compare-and-set on
 * the generation when `expectedGeneration` is given). A class that has
 * allocations can't be removed (409 `placement.inventory.inuse`); a total
 * below the current usage is accepted, as Placement does.
 */
export async function replaceInventoriesIn(trx: Db, uuid: string, inventories: Record<string, InventoryFields>, expectedGeneration: number | undefined): Promise<number> {
  const unknown = await unknownResourceClasses(trx, Object.keys(inventories))
  if (unknown.length > 0) throw new InvalidRequest(`Unknown resource class in inventory for resource provider ${uuid}: No such resource class ${unknown[0]}.`)
  const generation = await bumpGeneration(trx, uuid, expectedGeneration, 'resource provider generation conflict')
  const existing = await trx.selectFrom('placement_inventories').select('resource_class').where('provider_uuid', '=', uuid).execute()
  const removed = existing.map((r) => r.resource_class).filter((rc) => !(rc in inventories))
  const inUse = await classesInUse(trx, uuid, removed)
  if (inUse.length > 0) {
    throw new Conflict(`update conflict: Inventory for '${inUse.join(', ')}' on resource provider '${uuid}' in use.`, PlacementCode.INVENTORY_INUSE)
  }
  if (removed.length > 0) await trx.deleteFrom('placement_inventories').where('provider_uuid', '=', uuid).where('resource_class', 'in', removed).execute()
  const now = nowIso()
  const present = new Set(existing.map((r) => r.resource_class))
  for (const [rc, inv] of Object.entries(inventories)) {
    if (present.has(rc)) {
      await trx.updateTable('placement_inventories').set({ ...inv, updated_at: now }).where('provider_uuid', '=', uuid).where('resource_class', '=', rc).execute()
    } else {
      await trx.insertInto('placement_inventories').values({ provider_uuid: uuid, resource_class: rc, ...inv, created_at: now, updated_at: now }).execute()
    }
  }
  return generation
}

/** `PUT /resource_providers/{uuid}/inventories`. */
export async function setInventories(db: Db, uuid: string, inventories: Record<string, InventoryFields>, expectedGeneration: number | undefined, allowReservedEqualTotal: boolean): Promise<ProviderInventories> {
  for (const [rc, inv] of Object.entries(inventories)) {
    assertInventoryCapacity(uuid, rc, inv, allowReservedEqualTotal, `Unable to update inventory for resource provider ${uuid}: `)
  }
  const generation = await db.transaction().execute((trx) => replaceInventoriesIn(trx, uuid, inventories, expectedGeneration))
  return { generation, inventories }
}

/** `DELETE /resource_providers/{uuid}/inventories` (1.5+). */
export async function deleteAllInventories(db: Db, uuid: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await getProvider(trx, uuid)
    const existing = await trx.selectFrom('placement_inventories').select('resource_class').where('provider_uuid', '=', uuid).execute()
    const inUse = await classesInUse(trx, uuid, existing.map((r) => r.resource_class))
    if (inUse.length > 0) throw new Conflict(`Inventory for '${inUse.join(', ')}' on resource provider '${uuid}' in use.`, PlacementCode.INVENTORY_INUSE)
    await bumpGeneration(trx, uuid)
    await trx.deleteFrom('placement_inventories').where('provider_uuid', '=', uuid).execute()
  })
}

/** `POST /resource_providers/{uuid}/inventories`: adds one class. */
export async function createInventory(db: Db, uuid: string, rc: string, inv: InventoryFields, allowReservedEqualTotal: boolean): Promise<number> {
  const prefix = `Unable to create inventory for resource provider ${uuid}: `
  return db.transaction().execute(async (trx) => {
    await getProvider(trx, uuid)
    const unknown = await unknownResourceClasses(trx, [rc])
    if (unknown.length > 0) throw new InvalidRequest(`${prefix}No such resource class ${rc}.`)
    assertInventoryCapacity(uuid, rc, inv, allowReservedEqualTotal, prefix)
    const exists = await trx.selectFrom('placement_inventories').select('resource_class').where('provider_uuid', '=', uuid).where('resource_class', '=', rc).executeTakeFirst()
    if (exists) throw new ConcurrentUpdate(`Update conflict: Conflicting inventory of class ${rc} already exists.`)
    const generation = await bumpGeneration(trx, uuid)
    const now = nowIso()
    await trx.insertInto('placement_inventories').values({ provider_uuid: uuid, resource_class: rc, ...inv, created_at: now, updated_at: now }).execute()
    return generation
  })
}

/** `PUT /resource_providers/{uuid}/inventories/{rc}`: updates one existing class. */
export async function updateInventory(db: Db, uuid: string, rc: string, inv: InventoryFields, expectedGeneration: number, allowReservedEqualTotal: boolean): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await getProvider(trx, uuid)
    assertInventoryCapacity(uuid, rc, inv, allowReservedEqualTotal, `Unable to update inventory for resource provider ${uuid}: `)
    const generation = await bumpGeneration(trx, uuid, expectedGeneration, 'resource provider generation conflict')
    const result = await trx.updateTable('placement_inventories').set({ ...inv, updated_at: nowIso() }).where('provider_uuid', '=', uuid).where('resource_class', '=', rc).executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) {
      throw new InvalidRequest(`No inventory record with resource class for resource provider ${uuid}: No inventory of class ${rc} found.`)
    }
    return generation
  })
}

/** `DELETE /resource_providers/{uuid}/inventories/{rc}`. */
export async function deleteInventory(db: Db, uuid: string, rc: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await getProvider(trx, uuid)
    const exists = await trx.selectFrom('placement_inventories').select('resource_class').where('provider_uuid', '=', uuid).where('resource_class', '=', rc).executeTakeFirst()
    if (!exists) throw new NotFound(`No inventory of class ${rc} found for delete: No inventory of class ${rc} found.`)
    if ((await classesInUse(trx, uuid, [rc])).length > 0) {
      throw new ConcurrentUpdate(`Unable to delete inventory of class ${rc}: Inventory for '${rc}' on resource provider '${uuid}' in use.`)
    }
    await bumpGeneration(trx, uuid)
    await trx.deleteFrom('placement_inventories').where('provider_uuid', '=', uuid).where('resource_class', '=', rc).execute()
  })
}
