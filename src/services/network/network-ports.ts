import { randomBytes, randomUUID } from 'node:crypto'
import type { Db } from '../../db/schema.js'
import type { NetworksTable, PortsTable, SubnetsTable } from '../../db/tables/network-tables.js'
import { nowIso } from '../time.js'
import { parseIpv4, parseIpv4Cidr, cidrContains } from '../../util/ipv4.js'
import { badRequest, badRequestOf, conflict, inUse, invalidInput, notFound } from './network-errors.js'
import { pickAddress } from './ipam.js'

/** A requested fixed IP: a subnet, an address, or both. */
export interface FixedIpRequest {
  subnet_id?: string
  ip_address?: string
}

/**
 * Chooses a new port's security groups: the requested ids checked, or the
 * project's default group when none were named. The default group is the
 * security-group module's; until it is wired (`createServices`), ports get
 * exactly the groups requested, none by default.
 */
export type PortSecurityGroupsHook = (trx: Db, input: { projectId: string; requested: string[] | undefined; portSecurityEnabled: boolean }) => Promise<string[]>

/** The hook without default groups: requested ids must be groups of the project (404 otherwise). */
export const requestedGroupsOnly: PortSecurityGroupsHook = async (trx, { projectId, requested }) => {
  const ids = [...new Set(requested ?? [])]
  if (ids.length === 0) return []
  const found = await trx.selectFrom('security_groups').select('id').where('id', 'in', ids).where('project_id', '=', projectId).execute()
  const missing = ids.find((id) => !found.some((f) => f.id === id))
  if (missing) throw notFound('SecurityGroup', missing)
  return ids
}

/** Everything a new port may be given (the API's body, or Nova, DHCP and routers inside). */
export interface PortSpec {
  network: NetworksTable
  projectId: string
  name?: string
  description?: string
  adminStateUp?: boolean
  macAddress?: string
  deviceId?: string
  deviceOwner?: string
  hostId?: string
  vnicType?: string
  profile?: Record<string, unknown>
  /** undefined: one address from the first subnet with room; []: no address. */
  fixedIps?: FixedIpRequest[]
  /** Security group ids already chosen (PortSecurityGroupsHook). */
  securityGroups: string[]
  portSecurityEnabled?: boolean
  dnsName?: string
  status?: string
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/

/** Neutron's `binding:vif_type` for a host: Lifeboat binds every host with a tap-like VIF. */
export function vifTypeFor(hostId: string): string {
  return hostId === '' ? 'unbound' : 'tap'
}

async function uniqueMac(trx: Db, networkId: string, requested: string | undefined): Promise<string> {
  if (requested !== undefined) {
    const mac = requested.toLowerCase()
    if (!MAC.test(mac)) throw badRequest(`Invalid input for mac_address. Reason: '${requested}' is not a valid MAC address.`)
    const taken = await trx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', mac).executeTakeFirst()
    if (taken) throw inUse('MacAddressInUse', `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`)
    return mac
  }
  for (;;) {
    // Neutron's base_mac fa:16:3e:00:00:00 with the last three octets random.
    const mac = `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`
    const taken = await trx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', mac).executeTakeFirst()
    if (!taken) return mac
  }
}

/** Turns requested fixed IPs into (subnet, address) pairs on the network, Neutron's errors for the rest. */
async function allocateFixedIps(trx: Db, network: NetworksTable, requested: FixedIpRequest[] | undefined): Promise<Array<{ subnet: SubnetsTable; ip: string }>> {
  const subnets = await trx.selectFrom('subnets').selectAll().where('network_id', '=', network.id).orderBy('created_at').orderBy('id').execute()
  const result: Array<{ subnet: SubnetsTable; ip: string }> = []
  if (requested === undefined) {
    let lastError: unknown = null
    for (const subnet of subnets.filter((s) => s.ip_version === 4)) {
      try {
        result.push({ subnet, ip: await pickAddress(trx, subnet) })
        return result
      } catch (error) {
        lastError = error
      }
    }
    if (lastError) throw conflict('IpAddressGenerationFailure', `No more IP addresses available on network ${network.id}.`)
    return result
  }
  for (const request of requested) {
    let subnet: SubnetsTable | undefined
    if (request.subnet_id !== undefined) {
      subnet = subnets.find((s) => s.id === request.subnet_id)
      if (!subnet) throw invalidInput(`Failed to create port on network ${network.id}, because fixed_ips included invalid subnet ${request.subnet_id}`)
    } else if (request.ip_address !== undefined) {
      const address = parseIpv4(request.ip_address)
      if (address === null) throw badRequest(`Invalid input for ip_address. Reason: '${request.ip_address}' is not a valid IP address.`)
      subnet = subnets.find((s) => cidrContains(parseIpv4Cidr(s.cidr)!, address))
      if (!subnet) throw badRequestOf('InvalidIpForNetwork', `IP address ${request.ip_address} is not a valid IP for any of the subnets on the specified network.`)
    } else {
      throw badRequest("Invalid input for fixed_ips. Reason: Exactly one of 'subnet_id' or 'ip_address' must be specified, or both.")
    }
    const ip = await pickAddress(trx, subnet, request.ip_address)
    if (result.some((r) => r.subnet.id === subnet!.id && r.ip === ip)) throw inUse('IpAddressAlreadyAllocated', `IP address ${ip} already allocated in subnet ${subnet.id}`)
    result.push({ subnet, ip })
  }
  return result
}

/** Writes a port's fixed IPs (its old ones must be gone). */
export async function writeFixedIps(trx: Db, port: { id: string; network: NetworksTable }, requested: FixedIpRequest[] | undefined): Promise<void> {
  const allocations = await allocateFixedIps(trx, port.network, requested)
  for (const { subnet, ip } of allocations) {
    await trx.insertInto('ip_allocations').values({ port_id: port.id, subnet_id: subnet.id, network_id: port.network.id, ip_address: ip }).execute()
  }
}

/**
 * Creates a port inside the caller's transaction (no quota or policy check:
 * the callers do those): MAC, fixed IPs, security groups, binding.
 */
export async function insertPort(trx: Db, spec: PortSpec): Promise<PortsTable> {
  const now = nowIso()
  const hostId = spec.hostId ?? ''
  const row: PortsTable = {
    id: randomUUID(), network_id: spec.network.id, project_id: spec.projectId, name: spec.name ?? '', description: spec.description ?? '',
    mac_address: await uniqueMac(trx, spec.network.id, spec.macAddress), admin_state_up: spec.adminStateUp === false ? 0 : 1,
    status: spec.status ?? 'DOWN', device_id: spec.deviceId ?? '', device_owner: spec.deviceOwner ?? '', binding_host_id: hostId,
    binding_vnic_type: spec.vnicType ?? 'normal', binding_vif_type: vifTypeFor(hostId), binding_profile: JSON.stringify(spec.profile ?? {}),
    port_security_enabled: (spec.portSecurityEnabled ?? spec.network.port_security_enabled === 1) ? 1 : 0, dns_name: spec.dnsName ?? '',
    revision_number: 1, created_at: now, updated_at: now,
  }
  await trx.insertInto('ports').values(row).execute()
  await writeFixedIps(trx, { id: row.id, network: spec.network }, spec.fixedIps)
  for (const groupId of spec.securityGroups) await trx.insertInto('port_security_groups').values({ port_id: row.id, security_group_id: groupId }).execute()
  return row
}

/** Removes a port with its addresses, groups and tags (no checks: the callers do those). */
export async function removePort(trx: Db, portId: string): Promise<void> {
  // Neutron's disassociate_floatingips: the port's floating IPs stay, unmapped.
  await trx.updateTable('floating_ips').set({ fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' }).where('fixed_port_id', '=', portId).execute()
  await trx.deleteFrom('ip_allocations').where('port_id', '=', portId).execute()
  await trx.deleteFrom('port_security_groups').where('port_id', '=', portId).execute()
  await trx.deleteFrom('network_tags').where('resource_id', '=', portId).execute()
  await trx.deleteFrom('ports').where('id', '=', portId).execute()
}

/** Owners whose ports the port API may not delete (Neutron's L3 `prevent_l3_port_deletion`). */
export const SERVICE_PORT_OWNERS = ['network:router_interface', 'network:router_gateway', 'network:floatingip', 'network:router_interface_distributed', 'network:ha_router_replicated_interface']

/** The device_owner of DHCP ports. */
export const DHCP_OWNER = 'network:dhcp'

/**
 * Gives the network's DHCP port (created on first need, owned by the
 * network's project, ACTIVE) an address on `subnet`: the first free one of
 * its pools, as Neutron's DHCP agent takes it.
 */
export async function ensureDhcpAddress(trx: Db, network: NetworksTable, subnet: SubnetsTable): Promise<void> {
  const existing = await trx.selectFrom('ports').selectAll().where('network_id', '=', network.id).where('device_owner', '=', DHCP_OWNER).executeTakeFirst()
  if (!existing) {
    await insertPort(trx, {
      network, projectId: network.project_id, deviceOwner: DHCP_OWNER, deviceId: `dhcp-${network.id}`, status: 'ACTIVE',
      fixedIps: [{ subnet_id: subnet.id }], securityGroups: [], portSecurityEnabled: false, hostId: 'lifeboat',
    })
    return
  }
  const has = await trx.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', existing.id).where('subnet_id', '=', subnet.id).executeTakeFirst()
  if (has) return
  const ip = await pickAddress(trx, subnet)
  await trx.insertInto('ip_allocations').values({ port_id: existing.id, subnet_id: subnet.id, network_id: network.id, ip_address: ip }).execute()
}

/** Takes the DHCP port's address on `subnetId` away (and the port with its last address). */
export async function releaseDhcpAddress(trx: Db, networkId: string, subnetId: string): Promise<void> {
  const port = await trx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('device_owner', '=', DHCP_OWNER).executeTakeFirst()
  if (!port) return
  await trx.deleteFrom('ip_allocations').where('port_id', '=', port.id).where('subnet_id', '=', subnetId).execute()
  const left = await trx.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', port.id).executeTakeFirst()
  if (!left) await removePort(trx, port.id)
}

/** The DHCP port's address on a subnet (what a NIC's DNS server is), or null. */
export async function dhcpAddress(db: Db, subnetId: string): Promise<string | null> {
  const row = await db.selectFrom('ip_allocations').innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
    .select('ip_allocations.ip_address').where('ip_allocations.subnet_id', '=', subnetId).where('ports.device_owner', '=', DHCP_OWNER).executeTakeFirst()
  return row?.ip_address ?? null
}
