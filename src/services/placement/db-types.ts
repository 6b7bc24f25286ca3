import type { PlacementInventoriesTable, PlacementResourceProvidersTable } from '../../db/tables/placement-tables.js'

export type ProviderRow = PlacementResourceProvidersTable
export type InventoryRow = PlacementInventoriesTable

/** The six numbers of one inventory, as the API shows them. */
export interface InventoryFields {
  total: number
  reserved: number
  min_unit: number
  max_unit: number
  step_size: number
  allocation_ratio: number
}

/** placement/db/constants.py MAX_INT: the default `max_unit`. */
export const MAX_INT = 2147483647

/** handlers/inventory.py INVENTORY_DEFAULTS. */
export const INVENTORY_DEFAULTS: Omit<InventoryFields, 'total'> = {
  reserved: 0, min_unit: 1, max_unit: MAX_INT, step_size: 1, allocation_ratio: 1.0,
}

/** Fills the defaults of a partial inventory. */
export function withInventoryDefaults(input: Partial<InventoryFields> & { total: number }): InventoryFields {
  const full = { ...INVENTORY_DEFAULTS, ...input }
  // handlers/inventory.py OUTPUT_INVENTORY_FIELDS order.
  return { total: full.total, reserved: full.reserved, min_unit: full.min_unit, max_unit: full.max_unit, step_size: full.step_size, allocation_ratio: full.allocation_ratio }
}
