/**
 * Orders two attribute values for a sort: equal values tie, null/undefined
 * first, numbers and booleans by value, anything else by its string form.
 * Used by the network lists (Neutron's `sort_key`) and Nova's flavor list.
 */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null || a === undefined) return -1
  if (b === null || b === undefined) return 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  return String(a) < String(b) ? -1 : 1
}
