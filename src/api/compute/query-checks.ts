import { InvalidRequest } from '../../services/errors.js'
import type { QueryValue } from './paging.js'
import { firstValue } from './paging.js'

/** Nova's strict query schemas (2.75+): any parameter outside `allowed` is a 400. */
export function rejectUnknownQuery(query: Record<string, QueryValue>, allowed: readonly string[]): void {
  const extra = Object.keys(query).filter((k) => !allowed.includes(k))
  if (extra.length) {
    throw new InvalidRequest(`Invalid input for query parameters ${extra[0]}. Value: ${firstValue(query[extra[0]!])}. Additional properties are not allowed ('${extra[0]}' was unexpected)`)
  }
}

/** A query value that must be one of `values` (Nova's enum query schemas). */
export function enumQuery(query: Record<string, QueryValue>, name: string, values: readonly string[]): string | undefined {
  const value = firstValue(query[name])
  if (value !== undefined && !values.includes(value)) {
    throw new InvalidRequest(`Invalid input for query parameters ${name}. Value: ${value}. '${value}' is not one of [${values.map((v) => `'${v}'`).join(', ')}]`)
  }
  return value
}

/** A date-time query parameter as an ISO string (400 with Nova's schema words when it is not one). */
export function dateTimeQuery(query: Record<string, QueryValue>, name: string): string | undefined {
  const value = firstValue(query[name])
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new InvalidRequest(`Invalid input for query parameters ${name}. Value: ${value}. '${value}' is not a 'date-time'`)
  return new Date(ms).toISOString()
}
