import type { Store } from '../store.js'
import type { FlavorSnapshot } from '../compute/instance-store.js'
import type { AllocationCandidate, Resources } from '../placement/placement-service.js'
import { InvalidRequest } from '../errors.js'
import { orderForGroup, type GroupPlacement } from './group-placement.js'

/** Placement as the scheduler uses it: candidates for a request, then a claim on one. */
export interface HostClaims {
  getAllocationCandidates(request: { resources: Resources; required?: string[]; forbidden?: string[]; limit?: number }): Promise<AllocationCandidate[]>
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
  /** The server group the instance is in, with its members' hosts (filters and weighers); null or absent: none. */
  group?: GroupPlacement | null
}

/** The host chosen and the resources claimed there. */
export interface HostSelection {
  host: string
  providerUuid: string
  resources: Resources
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
 * The scheduler: asks placement for allocation candidates, keeps hosts whose
 * compute service is enabled (and the forced one, if any) and that the
 * server group's policy allows, orders them by the group's soft policy, and
 * claims the first that still fits. Null when nothing fits: "No valid host
 * was found".
 */
export async function selectHost(deps: SchedulerDeps, request: ScheduleRequest): Promise<HostSelection | null> {
  const placement = deps.placement
  const { resources, required, forbidden } = placementRequest(request)
  // Placement refuses a trait it has never heard of (400); to the scheduler that simply means no host has it.
  const candidates = await placement.getAllocationCandidates({ resources, required, forbidden, limit: 50 }).catch((error: unknown) => {
    if (error instanceof InvalidRequest) return []
    throw error
  })
  if (candidates.length === 0) return null
  const services = await deps.db.selectFrom('compute_services').select(['id', 'host', 'disabled']).execute()
  const enabled = new Map(services.filter((s) => !s.disabled).map((s) => [s.id, s.host]))
  const hosts = candidates.flatMap((candidate) => {
    const host = enabled.get(candidate.providerUuid)
    return host && (!request.forcedHost || host === request.forcedHost) ? [{ candidate, host }] : []
  })
  for (const { candidate, host } of orderForGroup(request.group ?? null, hosts, (h) => h.host)) {
    if (await placement.claimAllocation(request.instanceUuid, candidate.providerUuid, candidate.allocations, request.projectId, request.userId)) {
      return { host, providerUuid: candidate.providerUuid, resources: candidate.allocations }
    }
  }
  return null
}
