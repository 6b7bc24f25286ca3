import type { AuthContext } from '../identity/auth-context.js'
import type { ServerNetworks } from './ports.js'
import type { NicRequest } from '../network/server-ports.js'
import { Conflict, InvalidRequest } from '../errors.js'
import { isUuid } from '../../util/uuid.js'
import { parseIpv4 } from '../../util/ipv4.js'

export type { NicRequest } from '../network/server-ports.js'

/** One entry of a boot's `networks` list. */
export interface NetworkRequest {
  uuid?: string
  port?: string | null
  fixed_ip?: string
  tag?: string
}

/** A boot's `networks`: a list, `auto`, `none` (2.37+), or nothing. */
export type RequestedNetworks = 'auto' | 'none' | NetworkRequest[] | undefined

/** What the instance row's `networks` column keeps: the NICs the boot resolved to (user ports are the entries with `portId`). */
export interface NetworkPlan {
  nics: NicRequest[]
}

/** The instance's network plan; rows from before networks (`"auto"`, `[]`) have none. */
export function readNetworkPlan(text: string | null): NetworkPlan {
  try {
    const parsed = JSON.parse(text ?? 'null') as unknown
    if (parsed && typeof parsed === 'object' && Array.isArray((parsed as NetworkPlan).nics)) return parsed as NetworkPlan
  } catch {
    // An unreadable plan is no plan.
  }
  return { nics: [] }
}

/** The user's ports of a plan: unbound, not deleted, when the server goes. */
export function userPortIds(plan: NetworkPlan): string[] {
  return plan.nics.flatMap((nic) => (nic.portId ? [nic.portId] : []))
}

// Nova's exception texts (nova/exception.py), word for word.
const ambiguous = () => new Conflict('Multiple possible networks found, use a Network ID to be more specific.')
const networkNotFound = (id: string) => new InvalidRequest(`Network ${id} could not be found.`)

/**
 * Nova's `validate_networks` at `POST /servers`, before anything is written:
 * the networks a boot asks for resolved to NIC requests, with Nova's 400s
 * and 409s. With no list (or `auto`): no visible network → no NIC, one →
 * that one, several → 409 NetworkAmbiguous. `none` → no NIC.
 */
export async function planServerNics(
  network: Pick<ServerNetworks, 'availableNetworks' | 'subnetCounts' | 'findPort' | 'portWithAddress'>, auth: AuthContext,
  requested: RequestedNetworks, maxCount: number,
): Promise<NicRequest[]> {
  if (requested === 'none') return []
  if (requested === undefined || requested === 'auto') {
    const available = await network.availableNetworks(auth)
    if (available.length === 0) return []
    if (available.length > 1) throw ambiguous()
    const only = available[0]!
    if (((await network.subnetCounts([only.id])).get(only.id) ?? 0) === 0) throw new InvalidRequest(`Network ${only.id} requires a subnet in order to boot instances on.`)
    return [{ networkId: only.id }]
  }
  const nics: NicRequest[] = []
  const seenPorts = new Set<string>()
  for (const entry of requested) {
    if (entry.port) {
      if (!isUuid(entry.port)) throw new InvalidRequest(`Bad networks format: port uuid is not in proper format (${entry.port})`)
      if (maxCount > 1) throw new InvalidRequest('Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.')
      if (seenPorts.has(entry.port)) throw new InvalidRequest(`Port ${entry.port} is still in use.`)
      seenPorts.add(entry.port)
      const port = await network.findPort(auth, entry.port)
      if (!port) throw new InvalidRequest(`Port ${entry.port} could not be found.`)
      if (port.device_id !== '') throw new Conflict(`Port ${entry.port} is still in use.`)
      if (port.fixedIps.length === 0) throw new InvalidRequest(`Port ${entry.port} requires a FixedIP in order to be used.`)
      nics.push({ networkId: port.network_id, portId: port.id })
      continue
    }
    if (!entry.uuid || !isUuid(entry.uuid)) throw new InvalidRequest(`Bad networks format: network uuid is not in proper format (${entry.uuid ?? 'None'})`)
    if (entry.fixed_ip !== undefined) {
      if (parseIpv4(entry.fixed_ip) === null) throw new InvalidRequest(`Invalid fixed IP address (${entry.fixed_ip})`)
      if (maxCount > 1) throw new InvalidRequest('Failed to launch instances: max_count cannot be greater than 1 if an fixed_ip is specified.')
    }
    const [found] = await network.availableNetworks(auth, [entry.uuid])
    if (!found) throw networkNotFound(entry.uuid)
    if (found.external === 1 && found.shared === 0 && !auth.isAdmin && found.project_id !== auth.projectId) {
      throw new InvalidRequest(`It is not allowed to create an interface on external network ${found.id}`)
    }
    if (((await network.subnetCounts([found.id])).get(found.id) ?? 0) === 0) throw new InvalidRequest(`Network ${found.id} requires a subnet in order to boot instances on.`)
    if (entry.fixed_ip !== undefined) {
      const holder = await network.portWithAddress(found.id, entry.fixed_ip)
      if (holder) throw new InvalidRequest(`Fixed IP address ${entry.fixed_ip} is already in use on instance ${holder.deviceId}.`)
    }
    nics.push({ networkId: found.id, ...(entry.fixed_ip !== undefined ? { fixedIp: entry.fixed_ip } : {}) })
  }
  return nics
}
