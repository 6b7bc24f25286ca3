import type { InventoryFields } from './db-types.js'

/** What a provider can hand out of one class: (total - reserved) * allocation_ratio. */
export function capacityOf(inv: InventoryFields): number {
  return (inv.total - inv.reserved) * inv.allocation_ratio
}

/** The capacity as provider summaries print it: an integer. */
export function summaryCapacity(inv: InventoryFields): number {
  return Math.floor(capacityOf(inv))
}

/** True when `amount` respects min_unit, max_unit and step_size. */
export function meetsUnitConstraints(inv: InventoryFields, amount: number): boolean {
  return amount >= inv.min_unit && amount <= inv.max_unit && amount % inv.step_size === 0
}

/** True when `amount` more fits next to `used` (and respects the unit constraints). */
export function fits(inv: InventoryFields, used: number, amount: number): boolean {
  return meetsUnitConstraints(inv, amount) && used + amount <= capacityOf(inv)
}
