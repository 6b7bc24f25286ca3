import type { Db } from '../../db/schema.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { CapacityExceeded, ConcurrentUpdate, isUniqueViolation } from './placement-errors.js'
import { bumpGeneration } from './providers.js'
import { unknownResourceClasses } from './names.js'
import { capacityOf, meetsUnitConstraints } from './capacity.js'
import { nowIso } from '../time.js'

/** One consumer's wanted allocations: provider uuid → class → amount; `{}` frees everything. */
export interface ConsumerAllocations {
  consumerUuid: string
  allocations: Record<string, Record<string, number>>
  projectId: string
  userId: string
  /** Compared when not undefined (1.28+); null means "a new consumer". */
  consumerGeneration?: number | null
  /** 1.38+; left as it was when undefined. */
  consumerType?: string
}

/** How the callers word "no such class" (per consumer for PUT, one text for POST). */
export interface WriteOptions {
  unknownClassPrefix: (consumerUuid: string) => string
  /** Runs after the consumers' old allocations are gone, before the new ones are checked (the reshaper). */
  beforeInsert?: (trx: Db) => Promise<void>
}

async function checkConsumerGenerations(trx: Db, requests: ConsumerAllocations[]): Promise<Map<string, number>> {
  const current = new Map<string, number>()
  const uuids = requests.map((r) => r.consumerUuid)
  const rows = uuids.length ? await trx.selectFrom('placement_consumers').select(['uuid', 'generation']).where('uuid', 'in', uuids).execute() : []
  for (const row of rows) current.set(row.uuid, row.generation)
  for (const r of requests) {
    if (r.consumerGeneration === undefined) continue
    const have = current.get(r.consumerUuid)
    if (have === undefined && r.consumerGeneration !== null) {
      throw new ConcurrentUpdate(`consumer generation conflict - expected null but got ${r.consumerGeneration}`)
    }
    if (have !== undefined && have !== r.consumerGeneration) {
      throw new ConcurrentUpdate(`consumer generation conflict - expected ${have} but got ${r.consumerGeneration}`)
    }
  }
  return current
}

async function assertCapacity(trx: Db, requests: ConsumerAllocations[]): Promise<void> {
  const wanted = new Map<string, { provider: string; rc: string; amount: number }>()
  for (const r of requests) {
    for (const [provider, resources] of Object.entries(r.allocations)) {
      for (const [rc, amount] of Object.entries(resources)) {
        const key = `${provider}\u0000${rc}`
        const prior = wanted.get(key)
        wanted.set(key, { provider, rc, amount: (prior?.amount ?? 0) + amount })
        const inv = await trx.selectFrom('placement_inventories').selectAll().where('provider_uuid', '=', provider).where('resource_class', '=', rc).executeTakeFirst()
        if (!inv) throw new CapacityExceeded(`Unable to allocate inventory: Inventory for '${rc}' on resource provider '${provider}' invalid.`)
        if (!meetsUnitConstraints(inv, amount)) {
          throw new CapacityExceeded(`Unable to allocate inventory: Unable to create allocation for '${rc}' on resource provider '${provider}'. The requested amount would violate inventory constraints.`)
        }
      }
    }
  }
  for (const { provider, rc, amount } of wanted.values()) {
    const inv = (await trx.selectFrom('placement_inventories').selectAll().where('provider_uuid', '=', provider).where('resource_class', '=', rc).executeTakeFirst())!
    const usage = await trx.selectFrom('placement_allocations').select((eb) => eb.fn.sum<number>('used').as('used'))
      .where('provider_uuid', '=', provider).where('resource_class', '=', rc).executeTakeFirst()
    if (Number(usage?.used ?? 0) + amount > capacityOf(inv)) {
      throw new CapacityExceeded(`Unable to allocate inventory: Unable to create allocation for '${rc}' on resource provider '${provider}'. The requested amount would exceed the capacity.`)
    }
  }
}

async function saveConsumer(trx: Db, r: ConsumerAllocations, generation: number | undefined): Promise<void> {
  const now = nowIso()
  const empty = Object.keys(r.allocations).length === 0
  if (empty) {
    await trx.deleteFrom('placement_consumers').where('uuid', '=', r.consumerUuid).execute()
    return
  }
  if (generation === undefined) {
    try {
      await trx.insertInto('placement_consumers').values({
        uuid: r.consumerUuid, project_id: r.projectId, user_id: r.userId, generation: 1,
        consumer_type: r.consumerType ?? null, created_at: now, updated_at: now,
      }).execute()
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConcurrentUpdate('Inventory and/or allocations changed while attempting to allocate: consumer generation conflict')
      throw error
    }
    return
  }
  const result = await trx.updateTable('placement_consumers')
    .set({ generation: generation + 1, project_id: r.projectId, user_id: r.userId, updated_at: now, ...(r.consumerType !== undefined ? { consumer_type: r.consumerType } : {}) })
    .where('uuid', '=', r.consumerUuid).where('generation', '=', generation).executeTakeFirst()
  if (Number(result.numUpdatedRows) === 0) throw new ConcurrentUpdate('Inventory and/or allocations changed while attempting to allocate: consumer generation conflict')
}

/**
 * Replaces the allocations of every consumer in `requests` inside `trx`:
 * checks providers and classes (400), consumer generations (409), locks the
 * providers touched (generation bump, in uuid order so writers never
 * deadlock), frees the old allocations, re-checks capacity against what is
 * committed now (409 CapacityExceeded) and writes. Nothing is written
 * unless everything fits.
 */
export async function writeAllocationsIn(trx: Db, requests: ConsumerAllocations[], options: WriteOptions): Promise<void> {
  const providers = new Set<string>()
  for (const r of requests) {
    for (const provider of Object.keys(r.allocations)) providers.add(provider)
  }
  if (providers.size > 0) {
    const rows = await trx.selectFrom('placement_resource_providers').select('uuid').where('uuid', 'in', [...providers]).execute()
    const known = new Set(rows.map((p) => p.uuid))
    const missing = [...providers].find((p) => !known.has(p))
    if (missing) throw new InvalidRequest(`Allocation for resource provider '${missing}' that does not exist.`)
  }
  for (const r of requests) {
    const classes = Object.values(r.allocations).flatMap((res) => Object.keys(res))
    const unknown = await unknownResourceClasses(trx, classes)
    if (unknown.length > 0) throw new InvalidRequest(`${options.unknownClassPrefix(r.consumerUuid)}No such resource class ${unknown[0]}.`)
  }
  const generations = await checkConsumerGenerations(trx, requests)
  const consumers = requests.map((r) => r.consumerUuid)
  if (consumers.length > 0) {
    const old = await trx.selectFrom('placement_allocations').select('provider_uuid').distinct().where('consumer_uuid', 'in', consumers).execute()
    for (const o of old) providers.add(o.provider_uuid)
  }
  for (const provider of [...providers].sort()) await bumpGeneration(trx, provider)
  if (consumers.length > 0) await trx.deleteFrom('placement_allocations').where('consumer_uuid', 'in', consumers).execute()
  if (options.beforeInsert) await options.beforeInsert(trx)
  await assertCapacity(trx, requests)
  const now = nowIso()
  for (const r of requests) {
    const rows = Object.entries(r.allocations).flatMap(([provider, resources]) =>
      Object.entries(resources).map(([rc, used]) => ({ provider_uuid: provider, consumer_uuid: r.consumerUuid, resource_class: rc, used, created_at: now })))
    if (rows.length > 0) await trx.insertInto('placement_allocations').values(rows).execute()
    await saveConsumer(trx, r, generations.get(r.consumerUuid))
  }
}

/** One transaction around writeAllocationsIn. */
export async function replaceAllocations(db: Db, requests: ConsumerAllocations[], options: WriteOptions): Promise<void> {
  await db.transaction().execute((trx) => writeAllocationsIn(trx, requests, options))
}

/** `DELETE /allocations/{consumer}`: 404 when the consumer holds nothing. */
export async function deleteConsumerAllocations(db: Db, consumerUuid: string, notFoundIsError: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const providers = await trx.selectFrom('placement_allocations').select('provider_uuid').distinct().where('consumer_uuid', '=', consumerUuid).execute()
    if (providers.length === 0) {
      if (notFoundIsError) throw new NotFound(`No allocations for consumer '${consumerUuid}'`)
      return
    }
    for (const p of providers.map((x) => x.provider_uuid).sort()) await bumpGeneration(trx, p)
    await trx.deleteFrom('placement_allocations').where('consumer_uuid', '=', consumerUuid).execute()
    await trx.deleteFrom('placement_consumers').where('uuid', '=', consumerUuid).execute()
  })
}

/** A consumer's allocations as `GET /allocations/{consumer}` shows them. */
export interface ConsumerView {
  allocations: Record<string, { generation: number; resources: Record<string, number> }>
  consumer: { project_id: string; user_id: string; generation: number; consumer_type: string | null } | null
}

/** Reads a consumer's allocations (empty when it holds none). */
export async function getConsumerAllocations(db: Db, consumerUuid: string): Promise<ConsumerView> {
  const rows = await db.selectFrom('placement_allocations as a')
    .innerJoin('placement_resource_providers as p', 'p.uuid', 'a.provider_uuid')
    .select(['a.provider_uuid', 'a.resource_class', 'a.used', 'p.generation'])
    .where('a.consumer_uuid', '=', consumerUuid).orderBy('a.provider_uuid').orderBy('a.resource_class').execute()
  const allocations: ConsumerView['allocations'] = {}
  for (const r of rows) {
    const entry = (allocations[r.provider_uuid] ??= { generation: r.generation, resources: {} })
    entry.resources[r.resource_class] = r.used
  }
  const consumer = rows.length === 0 ? undefined
    : await db.selectFrom('placement_consumers').select(['project_id', 'user_id', 'generation', 'consumer_type']).where('uuid', '=', consumerUuid).executeTakeFirst()
  return { allocations, consumer: consumer ?? null }
}

/** `GET /resource_providers/{uuid}/allocations`: by consumer. */
export async function getProviderAllocations(db: Db, providerUuid: string): Promise<Record<string, { resources: Record<string, number>; consumer_generation: number | null }>> {
  const rows = await db.selectFrom('placement_allocations as a')
    .leftJoin('placement_consumers as c', 'c.uuid', 'a.consumer_uuid')
    .select(['a.consumer_uuid', 'a.resource_class', 'a.used', 'c.generation'])
    .where('a.provider_uuid', '=', providerUuid).orderBy('a.consumer_uuid').orderBy('a.resource_class').execute()
  const out: Record<string, { resources: Record<string, number>; consumer_generation: number | null }> = {}
  for (const r of rows) {
    const entry = (out[r.consumer_uuid] ??= { resources: {}, consumer_generation: r.generation ?? null })
    entry.resources[r.resource_class] = r.used
  }
  return out
}
