/**
 * Row types of the placement tables. Booleans are stored as 0/1; times are
 * ISO strings. Providers, classes and traits are keyed by their public names.
 */
export interface PlacementResourceProvidersTable {
  uuid: string
  name: string
  /** Bumped by every change another writer must not overwrite blindly (compare-and-set). */
  generation: number
  parent_provider_uuid: string | null
  root_provider_uuid: string
  created_at: string
  updated_at: string
}

export interface PlacementResourceClassesTable {
  name: string
  /** 1 for the os-resource-classes names, 0 for CUSTOM_*. */
  standard: number
  created_at: string
}

export interface PlacementTraitsTable {
  name: string
  /** 1 for the os-traits names Lifeboat knows, 0 for CUSTOM_*. */
  standard: number
  created_at: string
}

export interface PlacementInventoriesTable {
  provider_uuid: string
  resource_class: string
  total: number
  reserved: number
  min_unit: number
  max_unit: number
  step_size: number
  allocation_ratio: number
  created_at: string
  updated_at: string
}

export interface PlacementProviderTraitsTable {
  provider_uuid: string
  trait: string
}

export interface PlacementProviderAggregatesTable {
  provider_uuid: string
  aggregate_uuid: string
}

export interface PlacementConsumersTable {
  uuid: string
  project_id: string
  user_id: string
  generation: number
  consumer_type: string | null
  created_at: string
  updated_at: string
}

export interface PlacementAllocationsTable {
  provider_uuid: string
  consumer_uuid: string
  resource_class: string
  used: number
  created_at: string
}

export interface PlacementTables {
  placement_resource_providers: PlacementResourceProvidersTable
  placement_resource_classes: PlacementResourceClassesTable
  placement_traits: PlacementTraitsTable
  placement_inventories: PlacementInventoriesTable
  placement_provider_traits: PlacementProviderTraitsTable
  placement_provider_aggregates: PlacementProviderAggregatesTable
  placement_consumers: PlacementConsumersTable
  placement_allocations: PlacementAllocationsTable
}
