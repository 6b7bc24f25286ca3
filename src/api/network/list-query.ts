import { allValues, lastValue, type RawQuery } from '../../util/query-values.js'
import type { ListPage, ListQuery } from '../../services/network/network-service.js'
import { badRequest } from '../../services/network/network-errors.js'
import { isTrueString } from '../../util/bool-string.js'

/** Query keys that steer a list rather than filter it (neutron/api/api_common.py). */
const CONTROL_KEYS = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse'])

/** Python's `repr()` of a string: single quotes unless it holds one and no double quote. */
function pythonRepr(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\')
  if (text.includes("'") && !text.includes('"')) return `"${escaped}"`
  return `'${escaped.replace(/'/g, "\\'")}'`
}

/** Python's `str()` of a list of strings, as Neutron's messages print one: `['foo', 'bar']`. */
function pythonList(items: string[]): string {
  return `[${items.map(pythonRepr).join(', ')}]`
}

/**
 * Neutron's list query: every other key filters (repeated = any of the
 * values), `fields` (repeated), `sort_key`/`sort_dir` pairs, `limit`,
 * `marker`, `page_reverse`. With `allowedFilters` (the `filter-validation`
 * extension, api_common.py `get_filters_from_dict`), a key that is not one is
 * 400 HTTPBadRequest "['foo'] is invalid attribute for filtering".
 */
export function readListQuery(query: RawQuery, allowedFilters?: ReadonlySet<string>): ListQuery {
  const filters: Record<string, string[]> = {}
  const invalid: string[] = []
  for (const [key, value] of Object.entries(query)) {
    if (CONTROL_KEYS.has(key)) continue
    if (allowedFilters && !allowedFilters.has(key)) invalid.push(key)
    else filters[key] = allValues(value)
  }
  if (invalid.length > 0) throw badRequest(`${pythonList(invalid)} is invalid attribute for filtering`)
  const keys = allValues(query.sort_key)
  const dirs = allValues(query.sort_dir)
  if (keys.length !== dirs.length && dirs.length > 0) throw badRequest('The number of sort_keys and sort_dirs must be same')
  const sort = keys.map((key, i) => {
    const dir = dirs[i] ?? 'asc'
    if (dir !== 'asc' && dir !== 'desc') throw badRequest(`${dir} is invalid attribute for sort_dirs`)
    return { key, dir: dir as 'asc' | 'desc' }
  })
  const limitText = lastValue(query.limit)
  let limit: number | undefined
  if (limitText !== undefined) {
    limit = Number(limitText)
    if (!/^-?[0-9]+$/.test(limitText)) throw badRequest(`Limit must be an integer 0 or greater and not '${limitText}'`)
    if (limit < 0) throw badRequest(`Limit must be an integer 0 or greater and not '${limitText}'`)
  }
  const fields = allValues(query.fields).flatMap((f) => f.split(',')).filter(Boolean)
  return { filters, fields, sort, limit: limit || undefined, marker: lastValue(query.marker), pageReverse: isTrueString(lastValue(query.page_reverse) ?? 'false') }
}

/**
 * Neutron's `<collection>_links` (api_common.py `PaginationNativeHelper`):
 * `next` when more follow, `previous` when paging from a marker.
 */
export function pageLinks(base: string, query: RawQuery, page: ListPage, listQuery: ListQuery) {
  const { firstId: first, lastId: last, hasMore } = page
  if (listQuery.limit === undefined || first === undefined || last === undefined) return undefined
  const build = (marker: string, reverse: boolean) => {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(query)) {
      if (key === 'marker' || key === 'page_reverse') continue
      for (const v of allValues(value)) params.append(key, v)
    }
    params.set('marker', marker)
    if (reverse) params.set('page_reverse', 'True')
    return `${base}?${params.toString()}`
  }
  const links: Array<{ rel: string; href: string }> = []
  const forwardMore = listQuery.pageReverse ? listQuery.marker !== undefined : hasMore
  const backMore = listQuery.pageReverse ? hasMore : listQuery.marker !== undefined
  if (forwardMore) links.push({ rel: 'next', href: build(last, false) })
  if (backMore) links.push({ rel: 'previous', href: build(first, true) })
  return links
}
