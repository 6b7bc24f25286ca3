import type { Db } from '../../db/schema.js'
import type { AggregatesTable } from '../../db/tables/aggregate-tables.js'

/** The metadata key that makes an aggregate an availability zone. */
export const AZ_KEY = 'availability_zone'

/** An aggregate with its hosts and metadata (Nova's `objects.Aggregate`). */
export interface AggregateRecord {
  row: AggregatesTable
  /** Hosts in the order they were added. */
  hosts: string[]
  metadata: Record<string, string>
}

/** The aggregate's zone: its `availability_zone` metadata, or null. */
export function aggregateZone(aggregate: Pick<AggregateRecord, 'metadata'>): string | null {
  return aggregate.metadata[AZ_KEY] ?? null
}

/** Aggregates (all, or those with these ids) with hosts and metadata, by id: three queries. */
export async function loadAggregates(db: Db, ids?: number[]): Promise<AggregateRecord[]> {
  if (ids && ids.length === 0) return []
  let rows = db.selectFrom('aggregates').selectAll().orderBy('id')
  if (ids) rows = rows.where('id', 'in', ids)
  const byId = new Map<number, AggregateRecord>()
  for (const row of await rows.execute()) byId.set(row.id, { row, hosts: [], metadata: {} })
  if (byId.size === 0) return []
  const only = [...byId.keys()]
  const hosts = await db.selectFrom('aggregate_hosts').selectAll().where('aggregate_id', 'in', only).orderBy('created_at').orderBy('host').execute()
  for (const h of hosts) byId.get(h.aggregate_id)?.hosts.push(h.host)
  const metadata = await db.selectFrom('aggregate_metadata').selectAll().where('aggregate_id', 'in', only).orderBy('key').execute()
  for (const m of metadata) {
    const aggregate = byId.get(m.aggregate_id)
    if (aggregate) aggregate.metadata[m.key] = m.value
  }
  return [...byId.values()]
}

/** The aggregates a host is in. */
export async function aggregatesOfHost(db: Db, host: string): Promise<AggregateRecord[]> {
  const ids = await db.selectFrom('aggregate_hosts').select('aggregate_id').where('host', '=', host).execute()
  return loadAggregates(db, ids.map((r) => r.aggregate_id))
}

/**
 * Each host's zone from its aggregates' `availability_zone` metadata (Nova's
 * `get_host_availability_zone`: a host in several zone aggregates shows their
 * names sorted and joined by commas, which the API refuses to create). Hosts
 * in no zone aggregate are absent: they are in the default zone.
 */
export async function hostZones(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('aggregate_hosts').innerJoin('aggregate_metadata', 'aggregate_metadata.aggregate_id', 'aggregate_hosts.aggregate_id')
    .select(['aggregate_hosts.host', 'aggregate_metadata.value']).where('aggregate_metadata.key', '=', AZ_KEY).execute()
  const zones = new Map<string, Set<string>>()
  for (const r of rows) zones.set(r.host, (zones.get(r.host) ?? new Set()).add(r.value))
  return new Map([...zones].map(([host, names]) => [host, [...names].sort().join(',')]))
}

/** Each host's aggregate metadata: key → every value of it across the host's aggregates (comma lists split, as Nova). */
export async function hostAggregateMetadata(db: Db): Promise<Map<string, Map<string, Set<string>>>> {
  const rows = await db.selectFrom('aggregate_hosts').innerJoin('aggregate_metadata', 'aggregate_metadata.aggregate_id', 'aggregate_hosts.aggregate_id')
    .select(['aggregate_hosts.host', 'aggregate_metadata.key', 'aggregate_metadata.value']).execute()
  const byHost = new Map<string, Map<string, Set<string>>>()
  for (const r of rows) {
    const metadata = byHost.get(r.host) ?? new Map<string, Set<string>>()
    const values = metadata.get(r.key) ?? new Set<string>()
    for (const v of r.value.split(',')) values.add(v.trim())
    metadata.set(r.key, values)
    byHost.set(r.host, metadata)
  }
  return byHost
}

/** The uuids of the aggregates whose zone is `zone` (Nova's `map_az_to_placement_aggregate`). */
export async function zoneAggregateUuids(db: Db, zone: string): Promise<string[]> {
  const rows = await db.selectFrom('aggregates').innerJoin('aggregate_metadata', 'aggregate_metadata.aggregate_id', 'aggregates.id')
    .select('aggregates.uuid').where('aggregate_metadata.key', '=', AZ_KEY).where('aggregate_metadata.value', '=', zone).orderBy('aggregates.id').execute()
  return rows.map((r) => r.uuid)
}

/** Every zone name some aggregate gives. */
export async function aggregateZoneNames(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('aggregate_metadata').select('value').distinct().where('key', '=', AZ_KEY).orderBy('value').execute()
  return rows.map((r) => r.value)
}
