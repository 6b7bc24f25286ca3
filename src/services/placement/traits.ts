import type { Db } from '../../db/schema.js'
import { Conflict, InvalidRequest, NotFound } from '../errors.js'
import { ConcurrentUpdate } from './placement-errors.js'
import { bumpGeneration, getProvider } from './providers.js'
import { unknownTraits } from './names.js'
import { nowIso } from '../time.js'

/** `GET /traits` filters: `name=in:A,B`, `name=startswith:P`, `associated=true|false`. */
export interface TraitFilter {
  nameIn?: string[]
  prefix?: string
  associated?: boolean
}

/** Trait names matching the filter, sorted. */
export async function listTraits(db: Db, f: TraitFilter): Promise<string[]> {
  let q = db.selectFrom('placement_traits').select('name').orderBy('name')
  if (f.nameIn) {
    if (f.nameIn.length === 0) return []
    q = q.where('name', 'in', f.nameIn)
  }
  if (f.prefix !== undefined) q = q.where('name', 'like', `${f.prefix}%`)
  if (f.associated !== undefined) {
    const sub = db.selectFrom('placement_provider_traits').select('trait')
    q = f.associated ? q.where('name', 'in', sub) : q.where('name', 'not in', sub)
  }
  const rows = await q.execute()
  // `_` and `%` are LIKE wildcards (escaping differs by dialect): LIKE narrows, startsWith decides.
  return rows.map((r) => r.name).filter((n) => f.prefix === undefined || n.startsWith(f.prefix))
}

/** True when the trait exists. */
export async function traitExists(db: Db, name: string): Promise<boolean> {
  return (await db.selectFrom('placement_traits').select('name').where('name', '=', name).executeTakeFirst()) !== undefined
}

/** Creates a CUSTOM_ trait unless it exists; true when it was created. */
export async function ensureTrait(db: Db, name: string): Promise<boolean> {
  const result = await db.insertInto('placement_traits').values({ name, standard: 0, created_at: nowIso() })
    .onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

/** Deletes a custom trait: 404 unknown, 400 standard, 409 in use. */
export async function deleteTrait(db: Db, name: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('placement_traits').selectAll().where('name', '=', name).executeTakeFirst()
    if (!row) throw new NotFound(`No such trait(s): ${name}.`)
    if (row.standard === 1) throw new InvalidRequest(`Cannot delete standard trait ${name}.`)
    const used = await trx.selectFrom('placement_provider_traits').select('trait').where('trait', '=', name).executeTakeFirst()
    if (used) throw new Conflict(`The trait ${name} is in use by a resource provider.`)
    await trx.deleteFrom('placement_traits').where('name', '=', name).execute()
  })
}

/** The provider's traits, sorted, with its generation. */
export async function getProviderTraits(db: Db, uuid: string): Promise<{ generation: number; traits: string[] }> {
  const provider = await getProvider(db, uuid)
  const rows = await db.selectFrom('placement_provider_traits').select('trait').where('provider_uuid', '=', uuid).orderBy('trait').execute()
  return { generation: provider.generation, traits: rows.map((r) => r.trait) }
}

/**
 * Replaces the provider's traits (compare-and-set on the generation when
 * given); every trait must exist (400 "No such trait X").
 */
export async function setProviderTraits(db: Db, uuid: string, traits: string[], expectedGeneration?: number): Promise<{ generation: number; traits: string[] }> {
  const wanted = [...new Set(traits)].sort()
  return db.transaction().execute(async (trx) => {
    const provider = await getProvider(trx, uuid)
    if (expectedGeneration !== undefined && provider.generation !== expectedGeneration) {
      throw new ConcurrentUpdate("Resource provider's generation already changed. Please update the generation and try again.")
    }
    const unknown = await unknownTraits(trx, wanted)
    if (unknown.length > 0) throw new InvalidRequest(`No such trait ${unknown.join(', ')}`)
    const generation = await bumpGeneration(trx, uuid, provider.generation, "Resource provider's generation already changed. Please update the generation and try again.")
    await trx.deleteFrom('placement_provider_traits').where('provider_uuid', '=', uuid).execute()
    if (wanted.length > 0) await trx.insertInto('placement_provider_traits').values(wanted.map((trait) => ({ provider_uuid: uuid, trait }))).execute()
    return { generation, traits: wanted }
  })
}

/** Every resource class name, standard ones first in their order, then custom ones sorted. */
export async function listResourceClasses(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('placement_resource_classes').select(['name', 'standard', 'created_at']).execute()
  const standard = rows.filter((r) => r.standard === 1)
  const custom = rows.filter((r) => r.standard !== 1).map((r) => r.name).sort()
  return [...standard.map((r) => r.name), ...custom]
}

/** True when the class exists. */
export async function resourceClassExists(db: Db, name: string): Promise<boolean> {
  return (await db.selectFrom('placement_resource_classes').select('name').where('name', '=', name).executeTakeFirst()) !== undefined
}

/** Creates a CUSTOM_ class unless it exists; true when created. */
export async function ensureResourceClass(db: Db, name: string): Promise<boolean> {
  const result = await db.insertInto('placement_resource_classes').values({ name, standard: 0, created_at: nowIso() })
    .onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

/** Deletes a custom class: 404 unknown, 400 standard, 409 used by an inventory. */
export async function deleteResourceClass(db: Db, name: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('placement_resource_classes').selectAll().where('name', '=', name).executeTakeFirst()
    if (!row) throw new NotFound(`No such resource class ${name}.`)
    if (row.standard === 1) throw new InvalidRequest(`Error in delete resource class: Cannot delete standard resource class ${name}.`)
    const used = await trx.selectFrom('placement_inventories').select('resource_class').where('resource_class', '=', name).executeTakeFirst()
    if (used) throw new Conflict(`Error in delete resource class: Cannot delete resource class ${name}. Class is in use in inventory.`)
    await trx.deleteFrom('placement_resource_classes').where('name', '=', name).execute()
  })
}

/** 1.2–1.6 `PUT /resource_classes/{name}` with a body: renames a custom class. */
export async function renameResourceClass(db: Db, name: string, newName: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('placement_resource_classes').selectAll().where('name', '=', name).executeTakeFirst()
    if (!row) throw new NotFound(`No such resource class ${name}.`)
    if (row.standard === 1) throw new InvalidRequest(`Cannot update standard resource class ${name}`)
    if (await resourceClassExists(trx, newName)) throw new Conflict(`Resource class already exists: ${newName}`)
    const used = await trx.selectFrom('placement_inventories').select('resource_class').where('resource_class', '=', name).executeTakeFirst()
    if (used) throw new Conflict(`Error in update resource class: Cannot update resource class ${name}. Class is in use in inventory.`)
    await trx.insertInto('placement_resource_classes').values({ name: newName, standard: 0, created_at: row.created_at }).execute()
    await trx.deleteFrom('placement_resource_classes').where('name', '=', name).execute()
  })
}
