import type { Db } from '../../db/schema.js'
import type { PortsTable, RoutersTable, SubnetsTable } from '../../db/tables/network-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { nowIso } from '../time.js'
import { cidrContains, parseIpv4, parseIpv4Cidr } from '../../util/ipv4.js'
import { assertOwner } from './network-access.js'
import { badRequestOf, inUse, NeutronError, NetworkErrorCode } from './network-errors.js'
import { insertPort, removePort } from './network-ports.js'
import { visiblePort } from './port-requests.js'
import { visibleSubnet } from './subnets.js'
import { badL3Request, ROUTER_INTERFACE_OWNER } from './l3-dicts.js'
import type { ResourceDict } from './resource-query.js'
import { visibleRouter } from './routers.js'
import { checkForDupRouterSubnets } from './router-subnets.js'

/** The body of `add_router_interface` / `remove_router_interface`. */
export interface InterfaceInfo {
  subnet_id?: string
  port_id?: string
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

/** `_validate_interface_info`: one of subnet_id and port_id (both only for a removal), each a UUID. */
function validateInfo(info: InterfaceInfo, forRemoval: boolean): void {
  if (info.port_id === undefined && info.subnet_id === undefined) throw badL3Request('router', 'Either subnet_id or port_id must be specified')
  for (const value of [info.port_id, info.subnet_id]) {
    if (value !== undefined && !UUID.test(value)) throw badL3Request('router', `'${value}' is not a valid UUID`)
  }
  if (!forRemoval && info.port_id !== undefined && info.subnet_id !== undefined) throw badL3Request('router', 'Cannot specify both subnet-id and port-id')
}

/** The router's interface ports with their subnets. */
async function interfaces(trx: Db, routerId: string): Promise<Array<{ port: PortsTable; subnets: SubnetsTable[] }>> {
  const ports = await trx.selectFrom('ports').selectAll().where('device_id', '=', routerId).where('device_owner', '=', ROUTER_INTERFACE_OWNER).orderBy('created_at').execute()
  const result: Array<{ port: PortsTable; subnets: SubnetsTable[] }> = []
  for (const port of ports) {
    const subnets = await trx.selectFrom('subnets').innerJoin('ip_allocations', 'ip_allocations.subnet_id', 'subnets.id').selectAll('subnets')
      .where('ip_allocations.port_id', '=', port.id).execute()
    result.push({ port, subnets })
  }
  return result
}

function interfaceDict(router: RoutersTable, port: PortsTable, subnetIds: string[]): ResourceDict {
  return { id: router.id, tenant_id: router.project_id, project_id: router.project_id, port_id: port.id, network_id: port.network_id, subnet_id: subnetIds[0] ?? null, subnet_ids: subnetIds }
}

/**
 * `PUT /v2.0/routers/{id}/add_router_interface`: by subnet (a new port at the
 * subnet's gateway IP) or by port (an unattached port with fixed IPs).
 */
export async function addInterface(db: Db, auth: AuthContext, routerId: string, info: InterfaceInfo): Promise<ResourceDict> {
  validateInfo(info, false)
  const router = await visibleRouter(db, auth, routerId)
  assertOwner(auth, router, 'add_router_interface')
  return db.transaction().execute(async (trx) => {
    if (info.port_id !== undefined) {
      const port = await visiblePort(trx, auth, info.port_id)
      if (port.device_id !== '') {
        throw inUse('PortInUse', `Unable to complete operation on port ${port.id} for network ${port.network_id}. Port already has an attached device ${port.device_id}.`)
      }
      const subnets = await trx.selectFrom('subnets').innerJoin('ip_allocations', 'ip_allocations.subnet_id', 'subnets.id').selectAll('subnets')
        .where('ip_allocations.port_id', '=', port.id).execute()
      if (!subnets.length) throw badL3Request('router', 'Router port must have at least one fixed IP')
      await checkForDupRouterSubnets(trx, routerId, subnets)
      await trx.updateTable('ports').set({ device_id: routerId, device_owner: ROUTER_INTERFACE_OWNER, status: 'ACTIVE', updated_at: nowIso() }).where('id', '=', port.id).execute()
      return interfaceDict(router, port, subnets.map((s) => s.id))
    }
    const subnet = await visibleSubnet(trx, auth, info.subnet_id!)
    if (!subnet.gateway_ip) throw badL3Request('router', 'Subnet for router interface must have a gateway IP')
    await checkForDupRouterSubnets(trx, routerId, [subnet])
    const network = await trx.selectFrom('networks').selectAll().where('id', '=', subnet.network_id).executeTakeFirstOrThrow()
    // The gateway address is kept out of the pools for exactly this port: it is written here, not picked.
    const taken = await trx.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', subnet.id).where('ip_address', '=', subnet.gateway_ip).executeTakeFirst()
    if (taken) throw inUse('IpAddressAlreadyAllocated', `IP address ${subnet.gateway_ip} already allocated in subnet ${subnet.id}`)
    const port = await insertPort(trx, {
      network, projectId: subnet.project_id, deviceOwner: ROUTER_INTERFACE_OWNER, deviceId: routerId, status: 'ACTIVE', hostId: 'lifeboat',
      fixedIps: [], securityGroups: [], portSecurityEnabled: false,
    })
    await trx.insertInto('ip_allocations').values({ port_id: port.id, subnet_id: subnet.id, network_id: network.id, ip_address: subnet.gateway_ip }).execute()
    return interfaceDict(router, port, [subnet.id])
  })
}

/** `_check_router_interface_not_in_use`: a floating IP routed through the subnet keeps the interface. */
async function assertNoFloatingIpThrough(trx: Db, routerId: string, subnet: SubnetsTable): Promise<void> {
  const cidr = parseIpv4Cidr(subnet.cidr)!
  const fips = await trx.selectFrom('floating_ips').select(['fixed_ip_address', 'fixed_port_id']).where('router_id', '=', routerId).where('fixed_port_id', 'is not', null).execute()
  for (const fip of fips) {
    const address = fip.fixed_ip_address ? parseIpv4(fip.fixed_ip_address) : null
    if (address === null || !cidrContains(cidr, address)) continue
    const onSubnet = await trx.selectFrom('ip_allocations').select('port_id').where('port_id', '=', fip.fixed_port_id!).where('subnet_id', '=', subnet.id).executeTakeFirst()
    if (onSubnet) {
      throw inUse('RouterInterfaceInUseByFloatingIP',
        `Router interface for subnet ${subnet.id} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`)
    }
  }
}

/** `PUT /v2.0/routers/{id}/remove_router_interface`: by port (its subnet may be named too) or by subnet. */
export async function removeInterface(db: Db, auth: AuthContext, routerId: string, info: InterfaceInfo): Promise<ResourceDict> {
  validateInfo(info, true)
  const router = await visibleRouter(db, auth, routerId)
  assertOwner(auth, router, 'remove_router_interface')
  return db.transaction().execute(async (trx) => {
    const attached = await interfaces(trx, routerId)
    let found: { port: PortsTable; subnets: SubnetsTable[] } | undefined
    if (info.port_id !== undefined) {
      found = attached.find((i) => i.port.id === info.port_id)
      if (!found) {
        throw new NeutronError('RouterInterfaceNotFound', `Router ${routerId} does not have an interface with id ${info.port_id}`, 404, NetworkErrorCode.NOT_FOUND)
      }
      if (info.subnet_id !== undefined && !found.subnets.some((s) => s.id === info.subnet_id)) {
        throw badRequestOf('SubnetMismatchForPort', `Subnet on port ${info.port_id} does not match the requested subnet ${info.subnet_id}.`)
      }
    } else {
      await visibleSubnet(trx, auth, info.subnet_id!)
      found = attached.find((i) => i.subnets.some((s) => s.id === info.subnet_id))
      if (!found) {
        throw new NeutronError('RouterInterfaceNotFoundForSubnet', `Router ${routerId} has no interface on subnet ${info.subnet_id}`, 404, NetworkErrorCode.NOT_FOUND)
      }
    }
    for (const subnet of found.subnets) await assertNoFloatingIpThrough(trx, routerId, subnet)
    await removePort(trx, found.port.id)
    return interfaceDict(router, found.port, found.subnets.map((s) => s.id))
  })
}
