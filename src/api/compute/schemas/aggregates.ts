import { Type } from '@sinclair/typebox'
import { InvalidRequest } from '../../../services/errors.js'
import { Any, Closed, Opt } from './response-parts.js'
import { pyRepr, pyStr } from './python-repr.js'

/*
 * nova/api/openstack/compute/schemas/aggregates.py, checked by hand so that
 * every refusal carries Nova's jsonschema words.
 */

function invalid(field: string, value: unknown, message: string): InvalidRequest {
  return new InvalidRequest(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `required` then `additionalProperties` of an object schema. */
function checkKeys(value: Record<string, unknown>, required: string[], allowed: string[], field?: string): void {
  const fail = (message: string) => (field ? invalid(field, value, message) : new InvalidRequest(message))
  const missing = required.find((key) => !Object.hasOwn(value, key))
  if (missing) throw fail(`'${missing}' is a required property`)
  const extra = Object.keys(value).filter((key) => !allowed.includes(key))
  if (extra.length) throw fail(`Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`)
}

function member(body: unknown, key: string): Record<string, unknown> {
  if (!isObject(body)) throw new InvalidRequest(`${pyRepr(body)} is not of type 'object'`)
  const inner = body[key]
  if (inner !== undefined && !isObject(inner)) throw invalid(key, inner, `${pyRepr(inner)} is not of type 'object'`)
  checkKeys(body, [key], [key])
  return inner as Record<string, unknown>
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u

/** parameter_types.name (create) or name_with_leading_trailing_spaces (update). */
function checkName(name: unknown, spacesAllowed: boolean): string {
  if (typeof name !== 'string') throw invalid('name', name, `${pyRepr(name)} is not of type 'string'`)
  if (name.length < 1) throw invalid('name', name, `${pyRepr(name)} should be non-empty`)
  if ([...name].length > 255) throw invalid('name', name, `${pyRepr(name)} is too long`)
  if (spacesAllowed ? CONTROL.test(name) || name.trim() === '' : CONTROL.test(name) || /^\s|\s$/u.test(name)) {
    throw new InvalidRequest(spacesAllowed
      ? "An invalid 'name' value was provided. The name must be: printable characters with at least one non space character"
      : "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.")
  }
  // common.normalize_name
  return name.trim()
}

/** `{'oneOf': [az_name, null]}`: printable, no ':', no whitespace at either end. */
function checkZone(zone: unknown): string | null {
  if (zone === null) return null
  const ok = typeof zone === 'string' && zone.length >= 1 && [...zone].length <= 255 && !CONTROL.test(zone) && !zone.includes(':') && !/^\s|\s$/u.test(zone)
  if (!ok) throw invalid('availability_zone', zone, `${pyRepr(zone)} is not valid under any of the given schemas`)
  return zone as string
}

/** parameter_types.fqdn. */
function checkHost(host: unknown): string {
  if (typeof host !== 'string') throw invalid('host', host, `${pyRepr(host)} is not of type 'string'`)
  if (host.length < 1) throw invalid('host', host, `${pyRepr(host)} should be non-empty`)
  if (host.length > 255) throw invalid('host', host, `${pyRepr(host)} is too long`)
  if (!/^[a-zA-Z0-9-._]*$/.test(host)) throw invalid('host', host, `${pyRepr(host)} does not match '^[a-zA-Z0-9-._]*$'`)
  return host
}

/** `POST /os-aggregates`. */
export function aggregateToCreate(body: unknown): { name: string; zone: string | null } {
  const aggregate = member(body, 'aggregate')
  const name = aggregate.name === undefined ? undefined : checkName(aggregate.name, false)
  const zone = aggregate.availability_zone === undefined ? null : checkZone(aggregate.availability_zone)
  checkKeys(aggregate, ['name'], ['name', 'availability_zone'], 'aggregate')
  return { name: name!, zone: zone === null ? null : zone.trim() }
}

/** `PUT /os-aggregates/{id}`: a name, a zone or both. */
export function aggregateToUpdate(body: unknown): { name?: string; availabilityZone?: string | null } {
  const aggregate = member(body, 'aggregate')
  const out: { name?: string; availabilityZone?: string | null } = {}
  if (aggregate.name !== undefined) out.name = checkName(aggregate.name, true)
  if (aggregate.availability_zone !== undefined) out.availabilityZone = checkZone(aggregate.availability_zone)
  checkKeys(aggregate, [], ['name', 'availability_zone'], 'aggregate')
  if (out.name === undefined && !Object.hasOwn(aggregate, 'availability_zone')) {
    throw invalid('aggregate', aggregate, `${pyRepr(aggregate)} is not valid under any of the given schemas`)
  }
  return out
}

/** `add_host` / `remove_host`: `{"host": <fqdn>}`. */
export function hostOfAction(action: 'add_host' | 'remove_host', value: unknown): string {
  if (!isObject(value)) throw invalid(action, value, `${pyRepr(value)} is not of type 'object'`)
  const host = value.host === undefined ? undefined : checkHost(value.host)
  checkKeys(value, ['host'], ['host'], action)
  return host!
}

/** `set_metadata`: `{"metadata": {key: string | null}}` (parameter_types.metadata_with_null). */
export function metadataOfAction(value: unknown): Record<string, string | null> {
  if (!isObject(value)) throw invalid('set_metadata', value, `${pyRepr(value)} is not of type 'object'`)
  const metadata = value.metadata
  if (metadata !== undefined) {
    if (!isObject(metadata)) throw invalid('metadata', metadata, `${pyRepr(metadata)} is not of type 'object'`)
    for (const [key, v] of Object.entries(metadata)) {
      if (!/^[a-zA-Z0-9-_:. ]{1,255}$/.test(key)) {
        throw invalid('metadata', metadata, `Additional properties are not allowed (${pyRepr(key)} was unexpected)`)
      }
      if (v !== null && typeof v !== 'string') throw invalid(key, v, `${pyRepr(v)} is not of type 'string', 'null'`)
      if (typeof v === 'string' && v.length > 255) throw invalid(key, v, `${pyRepr(v)} is too long`)
    }
  }
  checkKeys(value, ['metadata'], ['metadata'], 'set_metadata')
  return metadata as Record<string, string | null>
}

/** oslo's validate_integer as Nova applies it to `{id}`. */
export function aggregateId(id: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(id)) throw new InvalidRequest('Invalid input received: id must be an integer')
  return Number(id)
}

// Response schemas: the aggregate view at every microversion (`uuid` from 2.41; a create's answer has no hosts or metadata).
const Aggregate = Closed({
  availability_zone: Any, created_at: Any, deleted: Any, deleted_at: Any, hosts: Opt(Any), id: Any, metadata: Opt(Any), name: Any,
  updated_at: Any, uuid: Opt(Any),
})
/** One aggregate. */
export const AggregateResponse = { 200: Closed({ aggregate: Aggregate }) }
/** `GET /os-aggregates`. */
export const AggregateListResponse = { 200: Closed({ aggregates: Type.Array(Aggregate) }) }
/** `{id}` of an aggregate route (checked as an integer by the handler, with Nova's words). */
export const AggregateParams = Type.Object({ id: Type.String() })
