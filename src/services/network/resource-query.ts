import { isTrueString } from '../../util/bool-string.js'
import { compareValues } from '../../util/compare-values.js'

/** A Neutron resource as the API shows it (`_make_network_dict` and friends). */
export type ResourceDict = Record<string, unknown>

/**
 * A list request in Neutron's terms (neutron/api/v2/base.py `_items` and
 * neutron/api/api_common.py): filters on any attribute (a repeated key is an
 * OR), `fields`, sort keys, and `limit`/`marker` paging.
 */
export interface ListQuery {
  /** Attribute → accepted values (any of them). Tag filters use `tags`, `tags-any`, `not-tags`, `not-tags-any`. */
  filters: Record<string, string[]>
  /** Attributes to show (empty: all). */
  fields: string[]
  sort: Array<{ key: string; dir: 'asc' | 'desc' }>
  limit?: number
  marker?: string
  /** `page_reverse=True`: the page before the marker. */
  pageReverse?: boolean
}

/** One page of a list, with whether more follow in the paging direction. */
export interface ListPage {
  items: ResourceDict[]
  hasMore: boolean
  /** Ids of the page's first and last items (for paging links, whatever `fields` kept). */
  firstId?: string
  lastId?: string
}

/** An empty query: everything, unsorted. */
export const ALL: ListQuery = { filters: {}, fields: [], sort: [] }

function scalarMatches(value: unknown, wanted: string): boolean {
  if (value === null || value === undefined) return wanted === '' || wanted.toLowerCase() === 'none'
  if (typeof value === 'boolean') return value === isTrueString(wanted)
  return String(value) === wanted
}

/** Neutron's `fixed_ips=ip_address=…` / `fixed_ips=subnet_id=…` filter. */
function fixedIpsMatch(value: unknown, wanted: string): boolean {
  const [key, expected] = wanted.includes('=') ? [wanted.slice(0, wanted.indexOf('=')), wanted.slice(wanted.indexOf('=') + 1)] : ['ip_address', wanted]
  return Array.isArray(value) && value.some((ip) => typeof ip === 'object' && ip !== null && String((ip as Record<string, unknown>)[key!]) === expected)
}

function tagsOf(item: ResourceDict): string[] {
  return Array.isArray(item.tags) ? (item.tags as string[]) : []
}

function csv(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).filter(Boolean)
}

/** True when an item passes every filter (each filter: any of its values). */
export function matchesFilters(item: ResourceDict, filters: Record<string, string[]>): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue
    const tags = tagsOf(item)
    if (key === 'tags') { if (!csv(values).every((t) => tags.includes(t))) return false; continue }
    if (key === 'tags-any') { if (!csv(values).some((t) => tags.includes(t))) return false; continue }
    if (key === 'not-tags') { if (csv(values).every((t) => tags.includes(t))) return false; continue }
    if (key === 'not-tags-any') { if (csv(values).some((t) => tags.includes(t))) return false; continue }
    // An attribute the item does not show filters nothing out (the API refuses keys that are no filters: list-filters.ts).
    if (!(key in item)) continue
    const value = item[key]
    if (key === 'fixed_ips') { if (!values.some((w) => fixedIpsMatch(value, w))) return false; continue }
    if (Array.isArray(value)) { if (!values.some((w) => value.map(String).includes(w))) return false; continue }
    if (!values.some((w) => scalarMatches(value, w))) return false
  }
  return true
}

/** Sorts by the keys, then by `id` (Neutron adds the primary key so paging is stable). */
export function sortItems(items: ResourceDict[], sort: ListQuery['sort']): ResourceDict[] {
  const keys = sort.some((s) => s.key === 'id') ? sort : [...sort, { key: 'id', dir: sort[0]?.dir ?? 'asc' } as const]
  return [...items].sort((x, y) => {
    for (const { key, dir } of keys) {
      const order = compareValues(x[key], y[key])
      if (order !== 0) return dir === 'desc' ? -order : order
    }
    return 0
  })
}

/** Keeps only the named fields (all when none are named). */
export function pickFields(item: ResourceDict, fields: string[]): ResourceDict {
  if (fields.length === 0) return item
  return Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]]))
}

/**
 * Applies a list query to the visible items: filter, sort, page after (or
 * before, reversed) the marker, then `fields`. `markerExists` false means the
 * marker is not among the visible items (the caller answers 404).
 */
export function applyListQuery(visible: ResourceDict[], query: ListQuery): ListPage & { markerExists: boolean } {
  let items = sortItems(visible.filter((item) => matchesFilters(item, query.filters)), query.sort)
  let markerExists = true
  if (query.marker !== undefined) {
    const index = items.findIndex((item) => item.id === query.marker)
    if (index < 0) {
      markerExists = visible.some((item) => item.id === query.marker)
      items = []
    } else {
      items = query.pageReverse ? items.slice(0, index) : items.slice(index + 1)
    }
  }
  let hasMore = false
  if (query.limit !== undefined && query.limit > 0 && items.length > query.limit) {
    hasMore = true
    items = query.pageReverse ? items.slice(items.length - query.limit) : items.slice(0, query.limit)
  }
  const firstId = items[0]?.id as string | undefined
  const lastId = items[items.length - 1]?.id as string | undefined
  return { items: items.map((item) => pickFields(item, query.fields)), hasMore, markerExists, firstId, lastId }
}
