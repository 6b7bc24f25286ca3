import { InvalidInput } from './volume-errors.js'
import { InvalidRequest, type NotFound } from '../errors.js'

/** One sort key and its direction. */
export interface SortSpec {
  key: string
  dir: 'asc' | 'desc'
}

/** Paging of a list: Cinder's `limit`, `marker` and sort (`sort=k:d,…` or `sort_key`/`sort_dir`). */
export interface PageRequest {
  limit?: number
  marker?: string
  sort: SortSpec[]
}

/** Cinder's `osapi_max_limit`. */
export const MAX_LIMIT = 1000

/** Cinder's `get_sort_params`: default `created_at` then `id`, descending. */
export function parseSort(query: { sort?: string; sort_key?: string; sort_dir?: string }, allowed: readonly string[]): SortSpec[] {
  let specs: SortSpec[]
  if (query.sort) {
    if (query.sort_key || query.sort_dir) throw new InvalidRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.")
    specs = query.sort.split(',').map((part) => {
      const [key, dir] = part.trim().split(':')
      return { key: (key ?? '').trim(), dir: ((dir ?? 'desc').trim().toLowerCase() as SortSpec['dir']) }
    })
  } else {
    specs = query.sort_key ? [{ key: query.sort_key, dir: (query.sort_dir ?? 'desc').toLowerCase() as SortSpec['dir'] }] : []
  }
  for (const spec of specs) {
    if (!allowed.includes(spec.key)) throw new InvalidInput(`Invalid sort key ${spec.key}`)
    if (spec.dir !== 'asc' && spec.dir !== 'desc') throw new InvalidInput(`Invalid sort dir ${String(spec.dir)}`)
  }
  const keys = specs.map((s) => s.key)
  for (const key of ['created_at', 'id']) if (!keys.includes(key)) specs.push({ key, dir: specs[0]?.dir ?? 'desc' })
  return specs
}

/** Cinder's `get_pagination_params` for `limit`: a non-negative integer. */
export function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^-?\d+$/.test(value)) throw new InvalidRequest('limit param must be an integer')
  const limit = Number(value)
  if (limit < 0) throw new InvalidRequest('limit param must be positive')
  return Math.min(limit, MAX_LIMIT)
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null || a === undefined) return -1
  if (b === null || b === undefined) return 1
  return a < b ? -1 : 1
}

/**
 * Sorts rows by the specs, then returns those after `marker` (by id; absent
 * marker → the NotFound from `markerNotFound`), at most `limit` of them.
 */
export function paginate<T extends { id: string }>(rows: T[], page: PageRequest, field: (row: T, key: string) => unknown, markerNotFound: (id: string) => NotFound): T[] {
  const sorted = [...rows].sort((a, b) => {
    for (const spec of page.sort) {
      const c = compare(field(a, spec.key), field(b, spec.key))
      if (c !== 0) return spec.dir === 'asc' ? c : -c
    }
    return 0
  })
  let start = 0
  if (page.marker !== undefined) {
    const index = sorted.findIndex((r) => r.id === page.marker)
    if (index < 0) throw markerNotFound(page.marker)
    start = index + 1
  }
  const limit = page.limit ?? MAX_LIMIT
  return sorted.slice(start, start + limit)
}
