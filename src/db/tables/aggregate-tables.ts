/** Row types of Nova's host aggregates (migration 2026-12-07-020). */
export interface AggregatesTable {
  /** Nova's integer id (the API's `id`). */
  id: number
  /** The placement aggregate the hosts' resource providers are members of (2.41 `uuid`). */
  uuid: string
  name: string
  created_at: string
  updated_at: string | null
}

/** A compute host (its service's `host`) in an aggregate. */
export interface AggregateHostsTable {
  aggregate_id: number
  host: string
  created_at: string
}

/** One metadata item; `availability_zone` makes the aggregate a zone. */
export interface AggregateMetadataTable {
  aggregate_id: number
  key: string
  value: string
}

export interface AggregateTables {
  aggregates: AggregatesTable
  aggregate_hosts: AggregateHostsTable
  aggregate_metadata: AggregateMetadataTable
}
