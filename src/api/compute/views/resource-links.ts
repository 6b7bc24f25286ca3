/** A link as Nova renders it. */
export interface Link {
  rel: string
  href: string
  type?: string
}

/** Nova's `self` and `bookmark` links of a resource; `base` is `http://h/compute`. */
export function resourceLinks(base: string, collection: string, id: string): Link[] {
  return [
    { rel: 'self', href: `${base}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${base}/${collection}/${id}` },
  ]
}

/**
 * Nova's `<collection>_links`: one `next` link when the page is full, with the
 * request's query and `marker` set to the last item (common.ViewBuilder._get_collection_links).
 */
export function collectionLinks(
  base: string,
  collection: string,
  query: Record<string, unknown>,
  pageSize: number,
  limit: number | undefined,
  lastId: string | undefined,
): Link[] | undefined {
  const maxItems = Math.min(limit ?? MAX_LIMIT, MAX_LIMIT)
  if (!maxItems || maxItems !== pageSize || lastId === undefined) return undefined
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (key === 'marker' || value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v))
  }
  params.set('marker', lastId)
  return [{ rel: 'next', href: `${base}/v2.1/${collection}?${params.toString()}` }]
}

/** Nova's `[api] max_limit` default. */
export const MAX_LIMIT = 1000
