import type { AuthContext } from '../identity/auth-context.js'
import type { ServerNetworks } from './ports.js'
import type { NicRequest } from '../network/server-ports.js'
import type { NetworksTable } from '../../db/tables/network-tables.js'
import { Conflict, Forbidden, InvalidRequest } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'
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
const externalAttachForbidden = (id: string) => new InvalidRequest(`It is not allowed to create an interface on external network ${id}`)

/**
 * Nova's `_check_external_network_attach`: policy `network:attach_external_network`
 * (admin only by default) for a NIC on an external network that is not
 * shared, whoever owns it.
 */
function attachForbidden(network: NetworksTable, auth: AuthContext): boolean {
  return network.external === 1 && network.shared === 0 && !auth.isAdmin
}

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
    // The one network of a project may be an external one it owns (an admin-made project's `public`): Nova picks it,
    // then refuses it for a non-admin (at build; here before anything is written). An admin gets the NIC, as in Nova.
    if (attachForbidden(only, auth)) throw externalAttachForbidden(only.id)
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
    if (attachForbidden(found, auth)) throw externalAttachForbidden(found.id)
    if (((await network.subnetCounts([found.id])).get(found.id) ?? 0) === 0) throw new InvalidRequest(`Network ${found.id} requires a subnet in order to boot instances on.`)
    if (entry.fixed_ip !== undefined) {
      const holder = await network.portWithAddress(found.id, entry.fixed_ip)
      if (holder) throw new InvalidRequest(`Fixed IP address ${entry.fixed_ip} is already in use on instance ${holder.deviceId}.`)
    }
    nics.push({ networkId: found.id, ...(entry.fixed_ip !== undefined ? { fixedIp: entry.fixed_ip } : {}) })
  }
  return nics
}

/**
 * Nova's port quota check of `validate_networks` (nova/network/neutron.py),
 * at `POST /servers` before anything is written: each instance needs a port
 * per NIC Nova creates (a user's port needs none); the count of instances is
 * cut to what the free ports allow, and below `minCount` it is a 403
 * PortLimitExceeded instead of a server that fails at build. Returns the
 * instance count that fits.
 */
export async function portLimitedCount(
  network: Pick<ServerNetworks, 'portQuota'>, projectId: string, nics: NicRequest[], minCount: number, maxCount: number,
): Promise<number> {
  const needed = nics.filter((nic) => !nic.portId).length
  if (needed === 0) return maxCount
  const quota = await network.portQuota(projectId)
  if (!quota) return maxCount
  const free = quota.limit - quota.used
  if (free < 0) throw new Forbidden(`The number of defined ports: ${quota.used} is over the limit: ${quota.limit}`, ServiceErrorCode.QUOTA_PORTS)
  const allowed = Math.min(maxCount, Math.floor(free / needed))
  if (allowed < minCount) throw new Forbidden('Maximum number of ports exceeded', ServiceErrorCode.QUOTA_PORTS)
  return allowed
}
