import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { InvalidRequest, LifeboatError } from '../../services/errors.js'
import { PlacementCode } from '../../services/placement/placement-errors.js'
import { summaryCapacity } from '../../services/placement/capacity.js'
import type { CandidateRequest, CandidateResult, ProviderDetails, RequestGroup } from '../../services/placement/placement-service.js'
import { atLeast, checkQueryKeys, methodNotAllowed, queryAll, queryLast, requireVersion } from './request-helpers.js'
import { parseRequestGroups, parseTraitsValue } from './query-params.js'
import { AllocationCandidatesResponse } from './response-schemas.js'

function allowedKeys(req: FastifyRequest): { keys: string[]; patterns: RegExp[] } {
  const keys = ['resources']
  if (atLeast(req, '1.16')) keys.push('limit')
  if (atLeast(req, '1.17')) keys.push('required')
  if (atLeast(req, '1.21')) keys.push('member_of')
  if (!atLeast(req, '1.25')) return { keys, patterns: [] }
  keys.push('group_policy')
  const prefixes = ['resources', 'required', 'member_of', ...(atLeast(req, '1.31') ? ['in_tree'] : [])]
  const suffix = atLeast(req, '1.33') ? '[a-zA-Z0-9_-]{1,64}' : '[1-9][0-9]*'
  if (atLeast(req, '1.35')) keys.push('root_required')
  if (atLeast(req, '1.36')) keys.push('same_subtree')
  return { keys, patterns: [new RegExp(`^(${prefixes.join('|')})(${suffix})?$`)] }
}

/** lib.RequestWideParams.from_request plus the groups. */
function candidateRequest(req: FastifyRequest): CandidateRequest {
  const { keys, patterns } = allowedKeys(req)
  checkQueryKeys(req, keys, patterns)
  if (!atLeast(req, '1.25') && queryLast(req, 'resources') === undefined) {
    throw new InvalidRequest("Invalid query string parameters: 'resources' is a required property")
  }
  const request: CandidateRequest = { groups: [] }
  const limit = queryLast(req, 'limit')
  if (limit !== undefined) {
    if (!/^[1-9][0-9]*$/.test(limit)) throw new InvalidRequest(`Invalid query string parameters: '${limit}' does not match '^[1-9][0-9]*$'`)
    request.limit = Number(limit)
  }
  const policy = queryLast(req, 'group_policy')
  if (policy !== undefined) {
    if (policy !== 'none' && policy !== 'isolate') throw new InvalidRequest(`Invalid query string parameters: '${policy}' is not one of ['none', 'isolate']`)
    request.groupPolicy = policy
  }
  const rootRequired = queryAll(req, 'root_required')
  if (rootRequired.length > 1) throw new LifeboatError("Query parameter 'root_required' may be specified only once.", PlacementCode.ILLEGAL_DUPLICATE_QUERYPARAM, 400)
  if (rootRequired.length === 1) {
    const parsed = parseTraitsValue(rootRequired[0]!, true, false)
    const required = parsed.required.flat()
    const conflicts = required.filter((t) => parsed.forbidden.includes(t))
    if (conflicts.length > 0) throw new LifeboatError(`Conflicting required and forbidden traits found in root_required: ${conflicts.join(', ')}`, PlacementCode.QUERYPARAM_BAD_VALUE, 400)
    request.rootRequired = required
    request.rootForbidden = parsed.forbidden
  }
  const sameSubtrees = queryAll(req, 'same_subtree').map((v) => [...new Set(v.split(',').map((s) => s.trim()))])
  if (sameSubtrees.some((s) => s.includes(''))) {
    throw new LifeboatError('Empty string (unsuffixed group) can not be specified in `same_subtree` ', PlacementCode.QUERYPARAM_BAD_VALUE, 400)
  }
  request.groups = parseRequestGroups(req, sameSubtrees)
  if (!request.groupPolicy && request.groups.filter((g) => g.suffix !== '').length > 1) {
    throw new InvalidRequest('The "group_policy" parameter is required when specifying more than one "resources{N}" parameter.')
  }
  return request
}

/** One provider summary: traits from 1.17, tree uuids from 1.29. */
interface ProviderSummary {
  resources: Record<string, { capacity: number; used: number }>
  traits?: string[]
  parent_provider_uuid?: string | null
  root_provider_uuid?: string | null
}

function summaryView(req: FastifyRequest, p: ProviderDetails, requested: Set<string>): ProviderSummary {
  const all = atLeast(req, '1.27')
  const resources: Record<string, { capacity: number; used: number }> = {}
  for (const [rc, inv] of p.inventories) {
    if (all || requested.has(rc)) resources[rc] = { capacity: summaryCapacity(inv), used: p.usages.get(rc) ?? 0 }
  }
  const view: ProviderSummary = { resources }
  if (atLeast(req, '1.17')) view.traits = [...p.traits].sort()
  if (atLeast(req, '1.29')) {
    view.parent_provider_uuid = p.row.parent_provider_uuid
    view.root_provider_uuid = p.row.root_provider_uuid
  }
  return view
}

/** handlers/allocation_candidate.py _transform_allocation_candidates. */
function candidatesView(req: FastifyRequest, groups: RequestGroup[], result: CandidateResult) {
  const requests = result.matches.map((m) => {
    const uuid = m.provider.row.uuid
    if (!atLeast(req, '1.12')) return { allocations: [{ resource_provider: { uuid }, resources: m.allocations }] }
    const entry: { allocations: Record<string, { resources: typeof m.allocations }>; mappings?: typeof m.mappings } = { allocations: { [uuid]: { resources: m.allocations } } }
    if (atLeast(req, '1.34')) entry.mappings = m.mappings
    return entry
  })
  const requested = new Set(groups.flatMap((g) => Object.keys(g.resources)))
  const summaries = Object.fromEntries(result.summaries.map((p) => [p.row.uuid, summaryView(req, p, requested)]))
  return { allocation_requests: requests, provider_summaries: summaries }
}

/** `GET /allocation_candidates` (1.10+). */
export function candidateRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const placement = ctx.services.placement
  return async (app) => {
    app.get('/allocation_candidates', { schema: { response: AllocationCandidatesResponse } }, async (req) => {
      requireVersion(req, '1.10')
      authorize(req.auth, 'placement:allocation_candidates:list', 'admin')
      const request = candidateRequest(req)
      const result = await placement.findCandidates(request, atLeast(req, '1.29'))
      return candidatesView(req, request.groups, result)
    })
    methodNotAllowed(app, '/allocation_candidates', ['GET'])
  }
}
