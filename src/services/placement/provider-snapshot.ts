import type { Db } from '../../db/schema.js'
import type { InventoryRow, ProviderRow } from './db-types.js'
import { fits } from './capacity.js'

/** A provider with everything the filters look at. */
export interface ProviderDetails {
  row: ProviderRow
  traits: Set<string>
  aggregates: Set<string>
  inventories: Map<string, InventoryRow>
  /** Sum of allocations by resource class. */
  usages: Map<string, number>
}

/** What `GET /resource_providers` and the candidates filter by; every part optional. */
export interface ProviderFilter {
  name?: string
  uuid?: string
  /** Only providers in the tree of this provider. */
  inTree?: string
  /** AND of ORs: each inner list needs one of its aggregates. */
  memberOf?: string[][]
  forbiddenAggregates?: string[]
  /** AND of ORs of trait names. */
  requiredTraits?: string[][]
  forbiddenTraits?: string[]
  resources?: Record<string, number>
}

/**
 * Loads providers (all, or those named) with traits, aggregates,
 * inventories and usages: a few queries, then filtering in memory, which
 * is plenty for the number of hosts one Lifeboat serves.
 */
export async function loadProviders(db: Db, uuids?: string[]): Promise<ProviderDetails[]> {
  if (uuids && uuids.length === 0) return []
  let rows = db.selectFrom('placement_resource_providers').selectAll().orderBy('created_at').orderBy('uuid')
  if (uuids) rows = rows.where('uuid', 'in', uuids)
  const providers = await rows.execute()
  const byUuid = new Map<string, ProviderDetails>()
  for (const row of providers) byUuid.set(row.uuid, { row, traits: new Set(), aggregates: new Set(), inventories: new Map(), usages: new Map() })
  if (byUuid.size === 0) return []
  const only = uuids ? [...byUuid.keys()] : undefined
  let traitQ = db.selectFrom('placement_provider_traits').selectAll()
  let aggQ = db.selectFrom('placement_provider_aggregates').selectAll()
  let invQ = db.selectFrom('placement_inventories').selectAll()
  let useQ = db.selectFrom('placement_allocations').select((eb) => ['provider_uuid', 'resource_class', eb.fn.sum<number>('used').as('used')]).groupBy(['provider_uuid', 'resource_class'])
  if (only) {
    traitQ = traitQ.where('provider_uuid', 'in', only)
    aggQ = aggQ.where('provider_uuid', 'in', only)
    invQ = invQ.where('provider_uuid', 'in', only)
    useQ = useQ.where('provider_uuid', 'in', only)
  }
  for (const t of await traitQ.execute()) byUuid.get(t.provider_uuid)?.traits.add(t.trait)
  for (const a of await aggQ.execute()) byUuid.get(a.provider_uuid)?.aggregates.add(a.aggregate_uuid)
  for (const i of await invQ.execute()) byUuid.get(i.provider_uuid)?.inventories.set(i.resource_class, i)
  for (const u of await useQ.execute()) byUuid.get(u.provider_uuid)?.usages.set(u.resource_class, Number(u.used))
  return [...byUuid.values()]
}

/** True when the provider has every required trait group and none of the forbidden traits. */
export function matchesTraits(p: ProviderDetails, required: string[][] = [], forbidden: string[] = []): boolean {
  return required.every((anyOf) => anyOf.some((t) => p.traits.has(t))) && !forbidden.some((t) => p.traits.has(t))
}

/** True when the provider is in one aggregate of each group and in none of the forbidden. */
export function matchesAggregates(p: ProviderDetails, memberOf: string[][] = [], forbidden: string[] = []): boolean {
  return memberOf.every((anyOf) => anyOf.some((a) => p.aggregates.has(a))) && !forbidden.some((a) => p.aggregates.has(a))
}

/** True when the provider could take every amount in `resources` now. */
export function hasCapacity(p: ProviderDetails, resources: Record<string, number> = {}): boolean {
  return Object.entries(resources).every(([rc, amount]) => {
    const inv = p.inventories.get(rc)
    return inv !== undefined && fits(inv, p.usages.get(rc) ?? 0, amount)
  })
}

/** Applies a filter to loaded providers (the tree filter needs the whole list). */
export function filterProviders(all: ProviderDetails[], f: ProviderFilter): ProviderDetails[] {
  let treeRoot: string | undefined
  if (f.inTree !== undefined) {
    treeRoot = all.find((p) => p.row.uuid === f.inTree)?.row.root_provider_uuid
    if (treeRoot === undefined) return []
  }
  return all.filter((p) =>
    (f.name === undefined || p.row.name === f.name) &&
    (f.uuid === undefined || p.row.uuid === f.uuid) &&
    (treeRoot === undefined || p.row.root_provider_uuid === treeRoot) &&
    matchesAggregates(p, f.memberOf, f.forbiddenAggregates) &&
    matchesTraits(p, f.requiredTraits, f.forbiddenTraits) &&
    hasCapacity(p, f.resources))
}
