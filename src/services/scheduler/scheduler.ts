import type { Store } from '../store.js'
import type { FlavorSnapshot } from '../compute/instance-store.js'
import type { HostCandidate, Resources } from '../placement/placement-service.js'
import { InvalidRequest } from '../errors.js'
import { groupHostPasses, type GroupPlacement } from './group-placement.js'
import { defaultWeighers, weighHosts } from './weighers.js'
import { aggregateExtraSpecsPass, readsAggregateSpecs } from './aggregate-filters.js'
import { hostAggregateMetadata, hostZones, zoneAggregateUuids } from '../compute/aggregate-store.js'
import { DEFAULT_ZONE } from '../compute/compute-hosts.js'

/** Nova's `[scheduler] max_placement_results` default: how many candidates placement is asked for. */
const MAX_PLACEMENT_RESULTS = 1000

/** Placement as the scheduler uses it: candidates for a request, then a claim on one. */
export interface HostClaims {
  getHostCandidates(request: { resources: Resources; required?: string[]; forbidden?: string[]; memberOf?: string[][]; limit?: number }): Promise<HostCandidate[]>
  claimAllocation(consumerUuid: string, providerUuid: string, resources: Resources, projectId: string, userId: string): Promise<boolean>
}

/** What the scheduler is given: placement, and the database for the compute services' enabled flags. */
export interface SchedulerDeps extends Store {
  readonly placement: HostClaims
}

/** What a server asks of a host. */
export interface ScheduleRequest {
  instanceUuid: string
  projectId: string
  userId: string
  flavor: FlavorSnapshot
  volumeBacked: boolean
  imageProperties: Record<string, string>
  /** `nova:<host>` in availability_zone forces a host. */
  forcedHost: string | null
  /** The availability zone asked for (none with a forced host): only hosts in it. */
  zone?: string | null
  /** The server group the instance is in, with its members' hosts (filters and weighers); null or absent: none. */
  group?: GroupPlacement | null
  /** Hosts never chosen (Nova's RequestSpec `ignore_hosts`: the source of an evacuation or a cold migration). */
  ignoreHosts?: readonly string[]
}

/** The host chosen and the resources claimed there. */
export interface HostSelection {
  host: string
  providerUuid: string
  resources: Resources
  /** The host's availability zone (its zone aggregate's, else the default). */
  zone: string
}

/** The placement request of a flavor (Nova's `resources_from_flavor` + `trait:` extra specs). */
export function placementRequest(request: Pick<ScheduleRequest, 'flavor' | 'volumeBacked' | 'imageProperties'>): { resources: Resources; required: string[]; forbidden: string[] } {
  const { flavor } = request
  const diskGb = (request.volumeBacked ? 0 : flavor.disk) + flavor.ephemeral + Math.ceil(flavor.swap / 1024)
  const resources: Resources = { VCPU: flavor.vcpus, MEMORY_MB: flavor.ram }
  if (diskGb > 0) resources.DISK_GB = diskGb
  const required = new Set<string>()
  const forbidden = new Set<string>()
  const specs: Record<string, string> = {}
  for (const [key, value] of Object.entries(request.imageProperties)) if (key.startsWith('trait:')) specs[key] = value
  Object.assign(specs, flavor.extraSpecs)
  for (const [key, value] of Object.entries(specs)) {
    if (key.startsWith('trait:')) {
      if (value === 'required') required.add(key.slice(6))
      if (value === 'forbidden') forbidden.add(key.slice(6))
    } else if (key.startsWith('resources:')) {
      const amount = Number(value)
      if (Number.isInteger(amount) && amount >= 0) {
        if (amount === 0) delete resources[key.slice(10)]
        else resources[key.slice(10)] = amount
      }
    }
  }
  return { resources, required: [...required].sort(), forbidden: [...forbidden].sort() }
}

/**
 * The scheduler (Nova's filter scheduler): one placement query for
 * candidates with their provider summaries — a requested zone becomes
 * `member_of` its aggregates (Nova's `map_az_to_placement_aggregate`) —
 * then the filters (enabled compute service, the forced host, the zone,
 * AggregateInstanceExtraSpecsFilter, the server group's policy), then Nova's
 * default weighers (free RAM, disk and VCPU spread servers; the group's soft
 * policies), and the heaviest host that still claims wins. Null when nothing
 * fits: "No valid host was found".
 */
export async function selectHost(deps: SchedulerDeps, request: ScheduleRequest): Promise<HostSelection | null> {
  const { db, placement } = deps
  const { resources, required, forbidden } = placementRequest(request)
  const zone = request.forcedHost ? null : request.zone ?? null
  const memberOf: string[][] = []
  if (zone) {
    const uuids = await zoneAggregateUuids(db, zone)
    if (uuids.length > 0) memberOf.push(uuids)
  }
  // Placement refuses a trait it has never heard of (400); to the scheduler that simply means no host has it.
  const candidates = await placement.getHostCandidates({ resources, required, forbidden, memberOf, limit: MAX_PLACEMENT_RESULTS }).catch((error: unknown) => {
    if (error instanceof InvalidRequest) return []
    throw error
  })
  if (candidates.length === 0) return null
  const services = await db.selectFrom('compute_services').select(['id', 'host', 'disabled', 'zone']).execute()
  const enabled = new Map(services.filter((s) => !s.disabled).map((s) => [s.id, s]))
  const zones = await hostZones(db)
  const metadata = readsAggregateSpecs(request.flavor.extraSpecs) ? await hostAggregateMetadata(db) : null
  const group = request.group ?? null
  const hosts = candidates.flatMap((candidate) => {
    const service = enabled.get(candidate.providerUuid)
    if (!service) return []
    const host = service.host
    const hostZone = zones.get(host) ?? (service.zone || DEFAULT_ZONE)
    if (request.forcedHost && host !== request.forcedHost) return []
    if (request.ignoreHosts?.includes(host)) return []
    if (zone && hostZone !== zone) return []
    if (metadata && !aggregateExtraSpecsPass(request.flavor.extraSpecs, metadata.get(host))) return []
    if (!groupHostPasses(group, host)) return []
    const free = Object.fromEntries(Object.entries(candidate.summary).map(([rc, s]) => [rc, s.capacity - s.used]))
    return [{ candidate, host, zone: hostZone, free }]
  })
  for (const { candidate, host, zone: hostZone } of weighHosts(hosts, defaultWeighers(group))) {
    if (await placement.claimAllocation(request.instanceUuid, candidate.providerUuid, candidate.allocations, request.projectId, request.userId)) {
      return { host, providerUuid: candidate.providerUuid, resources: candidate.allocations, zone: hostZone }
    }
  }
  return null
}
