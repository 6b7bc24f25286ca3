import type { FastifyRequest } from 'fastify'
import { InvalidRequest, LifeboatError } from '../../services/errors.js'
import { PlacementCode } from '../../services/placement/placement-errors.js'
import type { RequestGroup } from '../../services/placement/placement-service.js'
import { atLeast, queryAll } from './request-helpers.js'
import { isUuidLike } from '../../util/uuid.js'
import type { ErrorCode } from '../../util/error-code.js'

function badQuery(message: string, code?: ErrorCode): LifeboatError {
  return code ? new LifeboatError(message, code, 400) : new InvalidRequest(message)
}

/** util.normalize_resources_qs_param: `VCPU:2,MEMORY_MB:1024` → amounts. */
export function parseResources(qs: string): Record<string, number> {
  if (qs.trim() === '') {
    throw badQuery('Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: empty string.')
  }
  const result: Record<string, number> = {}
  for (const part of qs.split(',')) {
    const pieces = part.split(':')
    if (pieces.length !== 2) {
      throw badQuery(`Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: ${part}.`)
    }
    const [rc, amountText] = pieces as [string, string]
    if (!/^\s*[-+]?\d+\s*$/.test(amountText)) throw badQuery(`Requested resource ${rc} expected positive integer amount. Got: ${amountText}.`)
    const amount = Number(amountText)
    if (amount < 1) throw badQuery(`Requested resource ${rc} requires amount >= 1. Got: ${amount}.`)
    result[rc] = amount
  }
  return result
}

/** Required traits as an AND of ORs, and forbidden traits. */
export interface TraitQuery {
  required: string[][]
  forbidden: string[]
}

/** util.normalize_traits_qs_param for one value. */
export function parseTraitsValue(val: string, allowForbidden: boolean, allowAnyTraits: boolean): TraitQuery {
  if (val.startsWith('in:')) {
    if (!allowAnyTraits) throw badQuery(`Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: ${val}`)
    const any = [...new Set(val.slice(3).split(',').map((s) => s.trim()))]
    if (any.some((t) => t === '')) throw badQuery(`Invalid query string parameters: Expected 'required' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: ${val}`)
    if (any.some((t) => t.startsWith('!'))) throw badQuery(`Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden traits. Got: ${val}`)
    return { required: [any], forbidden: [] }
  }
  const all = val.split(',').map((s) => s.trim())
  // util.py: lstrip('!') removes every leading '!', a quirk kept on purpose there.
  const forbidden = [...new Set(all.filter((t) => t.startsWith('!')).map((t) => t.replace(/^!+/, '')))]
  if ([...all, ...forbidden].some((t) => t === '')) {
    const form = allowForbidden ? 'HW_CPU_X86_VMX,!CUSTOM_MAGIC' : 'HW_CPU_X86_VMX,CUSTOM_MAGIC'
    throw badQuery(`Invalid query string parameters: Expected 'required' parameter value of the form: ${form}. Got an empty trait in: ${val}`)
  }
  if (forbidden.length > 0 && !allowForbidden) {
    throw badQuery(`Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${val}`)
  }
  return { required: all.filter((t) => !t.startsWith('!')).map((t) => [t]), forbidden }
}

/** util.normalize_traits_qs_params: forbidden from 1.22, `in:` and repetition from 1.39. */
export function parseTraits(req: FastifyRequest, key: string): TraitQuery {
  let values = queryAll(req, key)
  const anyTraits = atLeast(req, '1.39')
  if (!anyTraits) values = values.slice(-1)
  const out: TraitQuery = { required: [], forbidden: [] }
  for (const v of values) {
    const one = parseTraitsValue(v, atLeast(req, '1.22'), anyTraits)
    out.required.push(...one.required)
    out.forbidden.push(...one.forbidden.filter((t) => !out.forbidden.includes(t)))
  }
  return out
}

/** Required aggregates (AND of ORs) and forbidden ones. */
export interface AggregateQuery {
  memberOf: string[][]
  forbidden: string[]
}

/** util.normalize_member_of_qs_params: several from 1.24, `!` from 1.32. */
export function parseMemberOf(req: FastifyRequest, key: string): AggregateQuery {
  const suffix = key.slice('member_of'.length)
  const values = queryAll(req, key)
  if (!atLeast(req, '1.24') && values.length > 1) throw badQuery(`Multiple member_of${suffix} parameters are not supported`)
  const out: AggregateQuery = { memberOf: [], forbidden: [] }
  for (const value of values) {
    if (value.includes(',') && !(value.startsWith('in:') || value.startsWith('!in:'))) {
      throw badQuery(`Multiple values for 'member_of' must be prefixed with the 'in:' or '!in:' keyword using the valid microversion. Got: ${value}`)
    }
    let required: string[] = []
    let forbidden: string[] = []
    if (value.startsWith('!in:')) forbidden = value.slice(4).split(',')
    else if (value.startsWith('!')) forbidden = [value.slice(1)]
    else if (value.startsWith('in:')) required = value.slice(3).split(',')
    else required = [value]
    for (const agg of [...required, ...forbidden]) {
      if (!isUuidLike(agg)) throw badQuery(`Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: ${agg}`)
    }
    if (required.length > 0) out.memberOf.push(required)
    if (forbidden.length > 0) {
      if (!atLeast(req, '1.32')) throw badQuery(`Forbidden member_of${suffix} parameters are not supported in the specified microversion`)
      out.forbidden.push(...forbidden)
    }
  }
  return out
}

/** util.normalize_in_tree_qs_params. */
export function parseInTree(value: string): string {
  const v = value.trim()
  if (!isUuidLike(v)) throw badQuery(`Invalid query string parameters: Expected 'in_tree' parameter to be a format of uuid. Got: ${value}`)
  return v
}

const GROUP_KEY_OLD = /^(resources|required|member_of|in_tree)([1-9][0-9]*)?$/
const GROUP_KEY_1_33 = /^(resources|required|member_of|in_tree)([a-zA-Z0-9_-]{1,64})?$/

/** lib.RequestGroup.dict_from_request: request groups by suffix, with the consistency checks. */
export function parseRequestGroups(req: FastifyRequest, sameSubtrees: string[][]): RequestGroup[] {
  const pattern = atLeast(req, '1.33') ? GROUP_KEY_1_33 : GROUP_KEY_OLD
  const groups = new Map<string, RequestGroup>()
  for (const key of Object.keys(req.query as object)) {
    const match = pattern.exec(key)
    if (!match) continue
    const [, prefix, suffix = ''] = match
    const g = groups.get(suffix) ?? { suffix, resources: {}, requiredTraits: [], forbiddenTraits: [], memberOf: [], forbiddenAggregates: [] }
    groups.set(suffix, g)
    const last = queryAll(req, key).at(-1)!
    if (prefix === 'resources') g.resources = parseResources(last)
    else if (prefix === 'required') ({ required: g.requiredTraits, forbidden: g.forbiddenTraits } = parseTraits(req, key))
    else if (prefix === 'member_of') ({ memberOf: g.memberOf, forbidden: g.forbiddenAggregates } = parseMemberOf(req, key))
    else g.inTree = parseInTree(last)
  }
  const list = [...groups.values()]
  const resourceless = list.filter((g) => Object.keys(g.resources).length === 0).map((g) => g.suffix)
  if (atLeast(req, '1.36')) {
    if (resourceless.length === list.length) {
      throw badQuery('There must be at least one resources or resources[$S] parameter.', PlacementCode.QUERYPARAM_MISSING_VALUE)
    }
    const subtree = new Set(sameSubtrees.flat())
    const bad = resourceless.filter((s) => !subtree.has(s))
    if (bad.length > 0) throw badQuery(`Resourceless suffixed group request should be specified in \`same_subtree\` query param: bad group(s) - ${JSON.stringify(bad)}.`, PlacementCode.QUERYPARAM_BAD_VALUE)
    const unknown = [...subtree].filter((s) => !groups.has(s))
    if (unknown.length > 0) throw badQuery(`Real suffixes should be specified in \`same_subtree\`: ${JSON.stringify(unknown)} not found in ${JSON.stringify([...groups.keys()])}.`, PlacementCode.QUERYPARAM_BAD_VALUE)
  } else {
    const orphanTraits = list.filter((g) => g.requiredTraits.length > 0 && Object.keys(g.resources).length === 0).map((g) => `required${g.suffix}`)
    if (orphanTraits.length > 0) throw badQuery(`All traits parameters must be associated with resources.  Found the following orphaned traits keys: ${orphanTraits.join(', ')}`)
    const orphanAggs = list.filter((g) => Object.keys(g.resources).length === 0 && (g.memberOf.length > 0 || g.forbiddenAggregates.length > 0)).map((g) => `member_of${g.suffix}`)
    if (orphanAggs.length > 0) throw badQuery(`All member_of parameters must be associated with resources. Found the following orphaned member_of keys: ${orphanAggs.join(', ')}`)
    if (resourceless.length > 0) throw badQuery('All request groups must specify resources.')
    if (list.length === 0) throw badQuery('At least one request group (`resources` or `resources{$S}`) is required.')
  }
  if (atLeast(req, '1.22')) {
    const conflicts = list.flatMap((g) => g.requiredTraits.filter((any) => any.every((t) => g.forbiddenTraits.includes(t)))
      .map((any) => `required${g.suffix}: (${[...any].sort().join(', ')})`)).sort()
    if (conflicts.length > 0) throw badQuery(`Conflicting required and forbidden traits found in the following traits keys: ${conflicts.join(', ')}`)
  }
  return list
}
