import type { Db } from '../../db/schema.js'
import type { SubnetsTable } from '../../db/tables/network-tables.js'
import { cidrsOverlap, parseIpv4Cidr } from '../../util/ipv4.js'
import { badL3Request, ROUTER_GATEWAY_OWNER, ROUTER_INTERFACE_OWNER } from './l3-dicts.js'

/** The subnet facts the check needs. */
type RouterSubnet = Pick<SubnetsTable, 'id' | 'cidr'>

/**
 * Neutron's `_check_for_dup_router_subnets` (neutron/db/l3_db.py), for a new
 * interface and for a new gateway alike: no second port on a subnet the
 * router already has a port on, and no CIDR overlapping the router's subnets:
 * its interfaces' subnets and every subnet of its gateway's network. Networks
 * may share CIDRs (`allow_overlapping_ips`); one router may not route between
 * two of them.
 */
export async function checkForDupRouterSubnets(trx: Db, routerId: string, added: RouterSubnet[]): Promise<void> {
  const ports = await trx.selectFrom('ports').innerJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
    .select(['ports.device_owner', 'ports.network_id', 'ip_allocations.subnet_id'])
    .where('ports.device_id', '=', routerId).where('ports.device_owner', 'in', [ROUTER_INTERFACE_OWNER, ROUTER_GATEWAY_OWNER])
    .orderBy('ports.created_at').execute()
  const addedIds = new Set(added.map((s) => s.id))
  const routerSubnetIds = new Set<string>()
  const gatewayNetworks = new Set<string>()
  for (const port of ports) {
    if (addedIds.has(port.subnet_id)) throw badL3Request('router', `Router already has a port on subnet ${port.subnet_id}`)
    if (port.device_owner === ROUTER_GATEWAY_OWNER) gatewayNetworks.add(port.network_id)
    else routerSubnetIds.add(port.subnet_id)
  }
  if (routerSubnetIds.size === 0 && gatewayNetworks.size === 0) return
  const existing = await trx.selectFrom('subnets').select(['id', 'cidr']).where((eb) => eb.or([
    ...(routerSubnetIds.size ? [eb('id', 'in', [...routerSubnetIds])] : []),
    ...(gatewayNetworks.size ? [eb('network_id', 'in', [...gatewayNetworks])] : []),
  ])).orderBy('created_at').execute()
  for (const subnet of existing) {
    const cidr = parseIpv4Cidr(subnet.cidr)
    for (const other of added) {
      const newCidr = parseIpv4Cidr(other.cidr)
      if (cidr && newCidr && cidrsOverlap(cidr, newCidr)) {
        throw badL3Request('router', `Cidr ${other.cidr} of subnet ${other.id} overlaps with cidr ${subnet.cidr} of subnet ${subnet.id}`)
      }
    }
  }
}
