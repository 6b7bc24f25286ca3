import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/schema.js'
import type { SubnetsTable } from '../../db/tables/network-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { nowIso } from '../time.js'
import { parseIpv4, parseIpv4Cidr } from '../../util/ipv4.js'
import { assertOwner, owningProject, visibleNetwork } from './network-access.js'
import { subnetDict, tagsOf } from './network-dicts.js'
import { badRequest, inUse, notFound } from './network-errors.js'
import { checkNetworkQuota } from './network-quotas.js'
import { assertNoOverlap, planAddressing, type AllocationPool } from './ipam.js'
import { DHCP_OWNER, ensureDhcpAddress, releaseDhcpAddress } from './network-ports.js'
import type { ResourceDict } from './resource-query.js'

/** A host route of a subnet. */
export interface HostRoute {
  destination: string
  nexthop: string
}

/** A subnet's attributes as a create or update body gives them. */
export interface SubnetInput {
  network_id?: string
  name?: string
  description?: string
  ip_version?: number
  cidr?: string
  gateway_ip?: string | null
  allocation_pools?: AllocationPool[]
  dns_nameservers?: string[]
  host_routes?: HostRoute[]
  enable_dhcp?: boolean
  subnetpool_id?: string | null
  ipv6_ra_mode?: string | null
  ipv6_address_mode?: string | null
  project_id?: string
  tenant_id?: string
}

/** Neutron's `max_dns_nameservers` and `max_subnet_host_routes` defaults. */
const MAX_DNS = 5
const MAX_ROUTES = 20

/** Subnet dicts of loaded rows. */
export async function subnetDicts(db: Db, rows: SubnetsTable[]): Promise<ResourceDict[]> {
  const tags = await tagsOf(db, rows.map((r) => r.id))
  return rows.map((row) => subnetDict(row, tags.get(row.id) ?? []))
}

/**
 * Every subnet the caller may read: its own, and those of shared networks. An external
 * network's subnets stay hidden from other projects unless it is shared (Neutron's
 * `get_subnet` rule "admin_or_owner or shared"; Tempest's test_external_network_visibility).
 */
export async function visibleSubnetRows(db: Db, auth: AuthContext): Promise<SubnetsTable[]> {
  let query = db.selectFrom('subnets').innerJoin('networks', 'networks.id', 'subnets.network_id').selectAll('subnets')
  if (!auth.isAdmin) {
    query = query.where((eb) => eb.or([eb('subnets.project_id', '=', auth.projectId ?? ''), eb('networks.shared', '=', 1)]))
  }
  return query.orderBy('subnets.created_at').execute()
}

/** A subnet the caller may read, else 404. */
export async function visibleSubnet(db: Db, auth: AuthContext, id: string): Promise<SubnetsTable> {
  const row = (await visibleSubnetRows(db, auth)).find((s) => s.id === id)
  if (!row) throw notFound('Subnet', id)
  return row
}

function checkDns(servers: string[]): void {
  if (servers.length > MAX_DNS) throw badRequest(`Invalid input for dns_nameservers. Reason: Number of DNS nameservers exceeds the limit ${MAX_DNS}.`)
  for (const server of servers) if (parseIpv4(server) === null) throw badRequest(`Invalid input for dns_nameservers. Reason: '${server}' is not a valid nameserver. '${server}' is not a valid IP address.`)
  if (new Set(servers).size !== servers.length) throw badRequest(`Invalid input for dns_nameservers. Reason: Duplicate nameserver '${servers.find((s, i) => servers.indexOf(s) !== i)}'.`)
}

function checkRoutes(routes: HostRoute[]): void {
  if (routes.length > MAX_ROUTES) throw badRequest(`Invalid input for host_routes. Reason: Number of host routes exceeds the limit ${MAX_ROUTES}.`)
  for (const route of routes) {
    if (!parseIpv4Cidr(route.destination)) throw badRequest(`Invalid input for host_routes. Reason: '${route.destination}' is not a valid IP subnet.`)
    if (parseIpv4(route.nexthop) === null) throw badRequest(`Invalid input for host_routes. Reason: '${route.nexthop}' is not a valid IP address.`)
  }
}

/** `POST /v2.0/subnets`: the network's owner (or admin); IPv4 only; CIDRs may not overlap; a DHCP port takes the first pool address. */
export async function createSubnet(db: Db, auth: AuthContext, input: SubnetInput): Promise<SubnetsTable> {
  if (input.network_id === undefined) throw badRequest("Failed to parse request. Required attribute 'network_id' not specified")
  const network = await visibleNetwork(db, auth, input.network_id)
  assertOwner(auth, network, 'create_subnet')
  const projectId = owningProject(auth, input)
  if (input.ip_version !== 4) {
    throw badRequest(input.ip_version === 6 ? 'Invalid input for ip_version. Reason: IPv6 subnets are not supported by Lifeboat.' : `Invalid input for ip_version. Reason: ${String(input.ip_version)} is not in [4, 6].`)
  }
  if (input.cidr === undefined) throw badRequest('a subnetpool must be specified in the absence of a cidr')
  if (input.subnetpool_id) throw badRequest('Subnet pools are not supported.')
  const addressing = planAddressing({ cidr: input.cidr, gatewayIp: input.gateway_ip, allocationPools: input.allocation_pools })
  checkDns(input.dns_nameservers ?? [])
  checkRoutes(input.host_routes ?? [])
  const now = nowIso()
  const row: SubnetsTable = {
    id: randomUUID(), network_id: network.id, project_id: projectId, name: input.name ?? '', description: input.description ?? '', ip_version: 4,
    cidr: addressing.cidr.text, gateway_ip: addressing.gatewayIp, enable_dhcp: input.enable_dhcp === false ? 0 : 1, ipv6_ra_mode: null,
    ipv6_address_mode: null, subnetpool_id: null, allocation_pools: JSON.stringify(addressing.pools),
    dns_nameservers: JSON.stringify(input.dns_nameservers ?? []), host_routes: JSON.stringify(input.host_routes ?? []), revision_number: 1,
    created_at: now, updated_at: now,
  }
  await db.transaction().execute(async (trx) => {
    await checkNetworkQuota(trx, projectId, 'subnet')
    await assertNoOverlap(trx, network.id, addressing.cidr)
    await trx.insertInto('subnets').values(row).execute()
    if (row.enable_dhcp === 1) await ensureDhcpAddress(trx, network, row)
  })
  return row
}

/** `PUT /v2.0/subnets/{id}`: name, description, gateway, pools, DNS, routes, DHCP (the CIDR and version are fixed). */
export async function updateSubnet(db: Db, auth: AuthContext, id: string, input: SubnetInput): Promise<SubnetsTable> {
  const row = await visibleSubnet(db, auth, id)
  assertOwner(auth, row, 'update_subnet')
  const set: Partial<SubnetsTable> = { updated_at: nowIso(), revision_number: row.revision_number + 1 }
  if (input.name !== undefined) set.name = input.name
  if (input.description !== undefined) set.description = input.description
  if (input.gateway_ip !== undefined || input.allocation_pools !== undefined) {
    const addressing = planAddressing({
      cidr: row.cidr,
      gatewayIp: input.gateway_ip !== undefined ? input.gateway_ip : row.gateway_ip,
      allocationPools: input.allocation_pools ?? (JSON.parse(row.allocation_pools) as AllocationPool[]),
    })
    set.gateway_ip = addressing.gatewayIp
    set.allocation_pools = JSON.stringify(addressing.pools)
  }
  if (input.dns_nameservers !== undefined) { checkDns(input.dns_nameservers); set.dns_nameservers = JSON.stringify(input.dns_nameservers) }
  if (input.host_routes !== undefined) { checkRoutes(input.host_routes); set.host_routes = JSON.stringify(input.host_routes) }
  if (input.enable_dhcp !== undefined) set.enable_dhcp = input.enable_dhcp ? 1 : 0
  const updated = { ...row, ...set }
  await db.transaction().execute(async (trx) => {
    if (set.gateway_ip) {
      const taken = await trx.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', id).where('ip_address', '=', set.gateway_ip).executeTakeFirst()
      if (taken) throw inUse('IpAddressInUse', `Unable to complete operation for network ${row.network_id}. The IP address ${set.gateway_ip} is in use.`)
    }
    await trx.updateTable('subnets').set(set).where('id', '=', id).execute()
    const network = await trx.selectFrom('networks').selectAll().where('id', '=', row.network_id).executeTakeFirstOrThrow()
    if (set.enable_dhcp === 1 && row.enable_dhcp === 0) await ensureDhcpAddress(trx, network, updated)
    if (set.enable_dhcp === 0 && row.enable_dhcp === 1) await releaseDhcpAddress(trx, row.network_id, id)
  })
  return updated
}

/** `DELETE /v2.0/subnets/{id}`: 409 SubnetInUse while a port other than DHCP's has an address on it. */
export async function deleteSubnet(db: Db, auth: AuthContext, id: string): Promise<void> {
  const row = await visibleSubnet(db, auth, id)
  assertOwner(auth, row, 'delete_subnet')
  await db.transaction().execute(async (trx) => {
    const users = await trx.selectFrom('ip_allocations').innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
      .select('ports.device_owner').where('ip_allocations.subnet_id', '=', id).execute()
    if (users.some((u) => u.device_owner !== DHCP_OWNER)) {
      throw inUse('SubnetInUse', `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`)
    }
    await releaseDhcpAddress(trx, row.network_id, id)
    await trx.deleteFrom('network_tags').where('resource_id', '=', id).execute()
    await trx.deleteFrom('subnets').where('id', '=', id).execute()
  })
}
