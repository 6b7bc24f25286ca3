import { InvalidRequest } from '../../services/errors.js'
import { MAX_LIMIT } from './views/resource-links.js'
import { firstValue, type QueryValue } from '../../util/query-values.js'

// The compute routes take their query helpers from here, with the paging ones.
export { firstValue, type QueryValue }

/** Nova's `limit`/`marker` (common.get_limit_and_marker): 400 on a bad limit; 0 or none means `max_limit`. */
export function limitAndMarker(query: Record<string, QueryValue>): { limit: number | undefined; marker: string | undefined } {
  const rawLimit = firstValue(query.limit)
  let limit: number | undefined
  if (rawLimit !== undefined) {
    if (!/^-?\d+$/.test(rawLimit.trim())) throw new InvalidRequest('limit param must be an integer')
    limit = Number(rawLimit)
    if (limit < 0) throw new InvalidRequest('limit param must be positive')
    limit = Math.min(MAX_LIMIT, limit || MAX_LIMIT)
  }
  return { limit, marker: firstValue(query.marker) }
}
