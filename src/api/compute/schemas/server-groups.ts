import { Type } from '@sinclair/typebox'
import { InvalidRequest } from '../../../services/errors.js'
import { isAtLeast, type Microversion } from '../../common/microversion.js'
import type { ServerGroupCreate, ServerGroupPolicy, ServerGroupRules } from '../../../services/compute/server-group-service.js'
import { isUuidLike } from '../../../util/uuid.js'
import { pyRepr, pyStr } from './python-repr.js'

/*
 * nova/api/openstack/compute/schemas/server_groups.py, checked by hand so
 * that every refusal carries Nova's jsonschema words (the first error in
 * schema order, as Nova's validator raises it).
 */

const POLICIES_2_1: ServerGroupPolicy[] = ['anti-affinity', 'affinity']
const POLICIES_2_15: ServerGroupPolicy[] = [...POLICIES_2_1, 'soft-anti-affinity', 'soft-affinity']

function invalid(field: string, value: unknown, message: string): InvalidRequest {
  return new InvalidRequest(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function notObject(value: unknown): string {
  return `${pyRepr(value)} is not of type 'object'`
}

/** The `required` then `additionalProperties` checks of an object schema. */
function checkKeys(value: Record<string, unknown>, required: string[], allowed: string[], field?: string): void {
  const missing = required.find((key) => !Object.hasOwn(value, key))
  if (missing) {
    const message = `'${missing}' is a required property`
    throw field ? invalid(field, value, message) : new InvalidRequest(message)
  }
  const extra = Object.keys(value).filter((key) => !allowed.includes(key))
  if (extra.length) {
    const message = `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`
    throw field ? invalid(field, value, message) : new InvalidRequest(message)
  }
}

/** parameter_types.name: a string of 1 to 255 printable characters, no whitespace at either end. */
function checkName(name: unknown): string {
  if (typeof name !== 'string') throw invalid('name', name, `${pyRepr(name)} is not of type 'string'`)
  // eslint-disable-next-line no-control-regex
  if (/^\s|\s$|[\u0000-\u001f\u007f-\u009f]/u.test(name)) {
    throw new InvalidRequest("An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.")
  }
  if (name.length < 1) throw invalid('name', name, `${pyRepr(name)} should be non-empty`)
  if ([...name].length > 255) throw invalid('name', name, `${pyRepr(name)} is too long`)
  return name
}

function enumMessage(value: unknown, allowed: string[]): string {
  return `${pyRepr(value)} is not one of ${pyRepr(allowed)}`
}

/** `policies` before 2.64: exactly one known policy in a list. */
function checkPolicies(policies: unknown, allowed: ServerGroupPolicy[]): ServerGroupPolicy {
  if (!Array.isArray(policies)) throw invalid('policies', policies, `${pyRepr(policies)} is not of type 'array'`)
  const first: unknown = policies[0]
  if (policies.length > 0) {
    if (typeof first !== 'string') throw invalid('0', first, `${pyRepr(first)} is not of type 'string'`)
    if (!allowed.includes(first as ServerGroupPolicy)) throw invalid('0', first, enumMessage(first, allowed))
  }
  if (new Set(policies.map((p) => JSON.stringify(p))).size !== policies.length) throw invalid('policies', policies, `${pyRepr(policies)} has non-unique elements`)
  if (policies.length < 1) throw invalid('policies', policies, `${pyRepr(policies)} should be non-empty`)
  if (policies.length > 1) throw invalid('policies', policies, `${pyRepr(policies)} is too long`)
  return first as ServerGroupPolicy
}

/** `rules` (2.64+): only `max_server_per_host`, a positive integer (or a string of digits). */
function checkRules(rules: unknown): ServerGroupRules {
  if (!isObject(rules)) throw invalid('rules', rules, notObject(rules))
  const max = rules.max_server_per_host
  if (max !== undefined) {
    if (!(typeof max === 'string' || (typeof max === 'number' && Number.isInteger(max)))) {
      throw invalid('max_server_per_host', max, `${pyRepr(max)} is not of type 'integer', 'string'`)
    }
    if (typeof max === 'string' && !/^[0-9]*$/.test(max)) throw invalid('max_server_per_host', max, `${pyRepr(max)} does not match '^[0-9]*$'`)
    // Nova's validator compares a string of digits as the number it spells.
    if (max !== '' && Number(max) < 1) throw invalid('max_server_per_host', max, `${Number(max)} is less than the minimum of 1`)
    if (max === '') throw invalid('max_server_per_host', max, `'' should be non-empty`)
  }
  checkKeys(rules, [], ['max_server_per_host'], 'rules')
  return max === undefined ? {} : { max_server_per_host: Number(max) }
}

/**
 * A `POST /os-server-groups` body at a microversion, in the service's words:
 * `policies` (one of two, four from 2.15) before 2.64, `policy` and optional
 * `rules` from 2.64 (the service refuses rules on other policies, after the
 * quota check, as Nova does).
 */
export function serverGroupToCreate(body: unknown, mv: Microversion): ServerGroupCreate {
  if (!isObject(body)) throw new InvalidRequest(notObject(body))
  const group = body.server_group
  if (group !== undefined && !isObject(group)) throw invalid('server_group', group, notObject(group))
  const v264 = isAtLeast(mv, '2.64')
  const allowed = isAtLeast(mv, '2.15') ? POLICIES_2_15 : POLICIES_2_1
  let name: string | undefined
  let policy: ServerGroupPolicy | undefined
  let rules: ServerGroupRules = {}
  if (group) {
    if (group.name !== undefined) name = checkName(group.name)
    if (!v264 && group.policies !== undefined) policy = checkPolicies(group.policies, allowed)
    if (v264 && group.policy !== undefined) {
      if (typeof group.policy !== 'string') throw invalid('policy', group.policy, `${pyRepr(group.policy)} is not of type 'string'`)
      if (!allowed.includes(group.policy as ServerGroupPolicy)) throw invalid('policy', group.policy, enumMessage(group.policy, allowed))
      policy = group.policy as ServerGroupPolicy
    }
    if (v264 && group.rules !== undefined) rules = checkRules(group.rules)
    checkKeys(group, ['name', v264 ? 'policy' : 'policies'], v264 ? ['name', 'policy', 'rules'] : ['name', 'policies'], 'server_group')
  }
  checkKeys(body, ['server_group'], ['server_group'])
  return { name: name!, policy: policy!, rules }
}

/**
 * The scheduler hint `group` of a boot: a uuid, or a list of them (Nova's
 * `_hints` schema; the first one names the group). 400 with Nova's words otherwise.
 */
export function groupHint(body: Record<string, unknown>): string | null {
  const hints = body['os:scheduler_hints'] ?? body['OS-SCH-HNT:scheduler_hints']
  if (!isObject(hints) || hints.group === undefined) return null
  const group = hints.group
  const uuids = Array.isArray(group) ? group : [group]
  if (!uuids.every((u) => typeof u === 'string' && isUuidLike(u))) {
    throw invalid('group', group, `${pyRepr(group)} is not valid under any of the given schemas`)
  }
  return (uuids[0] as string | undefined) ?? null
}

/** `limit` and `offset` of `GET /os-server-groups` (non-negative integers), as Nova's `common.limited` applies them. */
export function groupListWindow(query: Record<string, string | string[] | undefined>, maxLimit: number): { offset: number; limit: number } {
  const read = (name: string): number | undefined => {
    const raw = query[name]
    const value = Array.isArray(raw) ? raw[0] : raw
    if (value === undefined) return undefined
    const prefix = `Invalid input for query parameters ${name}. Value: ${value}.`
    if (!/^[0-9]*$/.test(value)) throw new InvalidRequest(`${prefix} '${value}' does not match '^[0-9]*$'`)
    if (value === '') throw new InvalidRequest(`${prefix} '' should be non-empty`)
    return Number(value)
  }
  const limit = read('limit')
  return { offset: read('offset') ?? 0, limit: Math.min(maxLimit, limit || maxLimit) }
}

// Response schemas: closed objects naming every property the view emits at some microversion.
const ServerGroup = Type.Object({
  id: Type.String(),
  name: Type.String(),
  policies: Type.Optional(Type.Array(Type.String())),
  metadata: Type.Optional(Type.Object({}, { additionalProperties: false })),
  policy: Type.Optional(Type.String()),
  rules: Type.Optional(Type.Object({ max_server_per_host: Type.Optional(Type.Integer()) }, { additionalProperties: false })),
  members: Type.Array(Type.String()),
  project_id: Type.Optional(Type.String()),
  user_id: Type.Optional(Type.String()),
}, { additionalProperties: false })

/** `POST /os-server-groups` and `GET /os-server-groups/{id}`. */
export const ServerGroupResponse = { 200: Type.Object({ server_group: ServerGroup }, { additionalProperties: false }) }
/** `GET /os-server-groups`. */
export const ServerGroupListResponse = { 200: Type.Object({ server_groups: Type.Array(ServerGroup) }, { additionalProperties: false }) }
/** `{id}` of a server group route. */
export const ServerGroupParams = Type.Object({ id: Type.String() })
/** Query strings as Fastify parses them. */
export const ServerGroupQuery = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))
