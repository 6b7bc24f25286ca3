import type { Db } from '../../db/schema.js'
import { InvalidRequest } from '../errors.js'
import { filterProviders, hasCapacity, loadProviders, matchesAggregates, matchesTraits, type ProviderDetails } from './provider-snapshot.js'
import { unknownResourceClasses, unknownTraits } from './names.js'

/** One request group (`resources`, `required`, `member_of`, `in_tree` with one suffix). */
export interface RequestGroup {
  suffix: string
  resources: Record<string, number>
  requiredTraits: string[][]
  forbiddenTraits: string[]
  memberOf: string[][]
  forbiddenAggregates: string[]
  inTree?: string
}

/** `GET /allocation_candidates` as the service takes it. */
export interface CandidateRequest {
  groups: RequestGroup[]
  limit?: number
  groupPolicy?: 'none' | 'isolate'
  rootRequired?: string[]
  rootForbidden?: string[]
}

/** One allocation request: a single provider takes everything. */
export interface CandidateMatch {
  provider: ProviderDetails
  allocations: Record<string, number>
  /** Group suffix → the providers that satisfy it (1.34 `mappings`). */
  mappings: Record<string, string[]>
}

/** The matches and the providers their summaries describe. */
export interface CandidateResult {
  matches: CandidateMatch[]
  summaries: ProviderDetails[]
}

async function validateNames(db: Db, request: CandidateRequest): Promise<void> {
  const classes = request.groups.flatMap((g) => Object.keys(g.resources))
  const badClass = await unknownResourceClasses(db, classes)
  if (badClass.length > 0) throw new InvalidRequest(`Invalid resource class in resources parameter: No such resource class ${badClass[0]}.`)
  const traits = [
    ...request.groups.flatMap((g) => [...g.requiredTraits.flat(), ...g.forbiddenTraits]),
    ...(request.rootRequired ?? []), ...(request.rootForbidden ?? []),
  ]
  const badTraits = await unknownTraits(db, traits)
  if (badTraits.length > 0) throw new InvalidRequest(`No such trait(s): ${badTraits.join(', ')}.`)
}

/**
 * Single-provider candidates: a provider qualifies when it alone satisfies
 * every group (traits, aggregates, tree) and has room for the sum of all
 * groups' resources. Sharing providers and spreading one request over a
 * tree are not offered; `group_policy=isolate` with two or more suffixed
 * groups therefore finds nothing.
 */
export async function findCandidates(db: Db, request: CandidateRequest, wholeTrees: boolean): Promise<CandidateResult> {
  await validateNames(db, request)
  const suffixed = request.groups.filter((g) => g.suffix !== '' && Object.keys(g.resources).length > 0)
  if (request.groupPolicy === 'isolate' && suffixed.length > 1) return { matches: [], summaries: [] }
  const total: Record<string, number> = {}
  for (const g of request.groups) {
    for (const [rc, n] of Object.entries(g.resources)) total[rc] = (total[rc] ?? 0) + n
  }
  const all = await loadProviders(db)
  const byUuid = new Map(all.map((p) => [p.row.uuid, p]))
  const matches: CandidateMatch[] = []
  for (const p of all) {
    const groupsOk = request.groups.every((g) =>
      matchesTraits(p, g.requiredTraits, g.forbiddenTraits) &&
      matchesAggregates(p, g.memberOf, g.forbiddenAggregates) &&
      (g.inTree === undefined || filterProviders(all, { inTree: g.inTree }).some((q) => q.row.uuid === p.row.uuid)))
    if (!groupsOk || !hasCapacity(p, total)) continue
    const root = byUuid.get(p.row.root_provider_uuid) ?? p
    if (!matchesTraits(root, (request.rootRequired ?? []).map((t) => [t]), request.rootForbidden ?? [])) continue
    const mappings = Object.fromEntries(request.groups.map((g) => [g.suffix, [p.row.uuid]]))
    matches.push({ provider: p, allocations: total, mappings })
    if (request.limit !== undefined && matches.length >= request.limit) break
  }
  const roots = new Set(matches.map((m) => m.provider.row.root_provider_uuid))
  const summaries = wholeTrees ? all.filter((p) => roots.has(p.row.root_provider_uuid)) : matches.map((m) => m.provider)
  return { matches, summaries }
}
