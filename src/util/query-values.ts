// Pure helpers (src/util/ imports nothing of the app): the API reads query
// strings and headers with them, and the image service parses Glance's list
// query with them.

/** A query value (or header) as Fastify hands it over: repeated keys become arrays. */
export type QueryValue = string | string[] | undefined

/** A whole query string as Fastify hands it over. */
export type RawQuery = Record<string, QueryValue>

/** Every value of a possibly repeated parameter, in order. */
export function allValues(value: QueryValue): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}

/** The first value of a possibly repeated parameter (Nova's and Cinder's reading). */
export function firstValue(value: QueryValue): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** The last value of a possibly repeated parameter (webob's `req.GET[key]`, as Glance and Placement read it). */
export function lastValue(value: QueryValue): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value
}
