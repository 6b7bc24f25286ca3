import type { Db } from '../../db/schema.js'
import { getProvider } from './providers.js'

/** `GET /resource_providers/{uuid}/usages`: every inventoried class, 0 when unused. */
export async function getProviderUsages(db: Db, uuid: string): Promise<{ generation: number; usages: Record<string, number> }> {
  const provider = await getProvider(db, uuid)
  const inventories = await db.selectFrom('placement_inventories').select('resource_class').where('provider_uuid', '=', uuid).execute()
  const used = await db.selectFrom('placement_allocations').select((eb) => ['resource_class', eb.fn.sum<number>('used').as('used')])
    .where('provider_uuid', '=', uuid).groupBy('resource_class').execute()
  const usages: Record<string, number> = {}
  for (const i of inventories) usages[i.resource_class] = 0
  for (const u of used) usages[u.resource_class] = Number(u.used)
  return { generation: provider.generation, usages }
}

/** `GET /usages` before 1.38: class → amount for a project (and user). */
export async function getTotalUsages(db: Db, projectId: string, userId?: string): Promise<Record<string, number>> {
  let q = db.selectFrom('placement_allocations as a').innerJoin('placement_consumers as c', 'c.uuid', 'a.consumer_uuid')
    .select((eb) => ['a.resource_class', eb.fn.sum<number>('a.used').as('used')])
    .where('c.project_id', '=', projectId).groupBy('a.resource_class')
  if (userId !== undefined) q = q.where('c.user_id', '=', userId)
  const rows = await q.execute()
  return Object.fromEntries(rows.map((r) => [r.resource_class, Number(r.used)]))
}

/**
 * `GET /usages` from 1.38: grouped by consumer type (`unknown` for none)
 * with `consumer_count`; `consumerType` `all` folds every type into one
 * group, `unknown` keeps consumers without a type.
 */
export async function getUsagesByConsumerType(db: Db, projectId: string, userId: string | undefined, consumerType: string | undefined): Promise<Record<string, Record<string, number>>> {
  let q = db.selectFrom('placement_allocations as a').innerJoin('placement_consumers as c', 'c.uuid', 'a.consumer_uuid')
    .select(['a.consumer_uuid', 'a.resource_class', 'a.used', 'c.consumer_type']).where('c.project_id', '=', projectId)
  if (userId !== undefined) q = q.where('c.user_id', '=', userId)
  const rows = await q.execute()
  const groups = new Map<string, { usage: Record<string, number>; consumers: Set<string> }>()
  for (const r of rows) {
    const type = r.consumer_type ?? 'unknown'
    if (consumerType !== undefined && consumerType !== 'all' && consumerType !== type) continue
    const key = consumerType === 'all' ? 'all' : type
    const g = groups.get(key) ?? { usage: {}, consumers: new Set<string>() }
    g.usage[r.resource_class] = (g.usage[r.resource_class] ?? 0) + r.used
    g.consumers.add(r.consumer_uuid)
    groups.set(key, g)
  }
  return Object.fromEntries([...groups].map(([k, g]) => [k, { ...g.usage, consumer_count: g.consumers.size }]))
}
