import { randomUUID } from 'node:crypto'
import { isIPv4 } from 'node:net'
import type { Db } from '../../db/schema.js'
import type { FloatingIpsTable, PortsTable } from '../../db/tables/network-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { nowIso } from '../time.js'
import { owningProject, visibleNetwork } from './network-access.js'
import { badRequestOf, inUse, NeutronError, NetworkErrorCode } from './network-errors.js'
import { checkNetworkQuota } from './network-quotas.js'
import { insertPort, removePort } from './network-ports.js'
import { visiblePort } from './port-requests.js'
import { badL3Request, FLOATING_IP_OWNER, ROUTER_GATEWAY_OWNER, ROUTER_INTERFACE_OWNER } from './l3-dicts.js'

/** A floating IP's attributes as a create or update body gives them. */
export interface FloatingIpInput {
  floating_network_id?: string
  floating_ip_address?: string
  subnet_id?: string
  port_id?: string | null
  fixed_ip_address?: string | null
  description?: string
  project_id?: string
  tenant_id?: string
}

/** 404 FloatingIPNotFound, Neutron's text (no final period). */
export function floatingIpNotFound(id: string): NeutronError {
  return new NeutronError('FloatingIPNotFound', `Floating IP ${id} could not be found`, 404, NetworkErrorCode.NOT_FOUND)
}

/** A floating IP the caller may read (its own; all for an admin), else 404. */
export async function visibleFloatingIp(db: Db, auth: AuthContext, id: string): Promise<FloatingIpsTable> {
  const row = await db.selectFrom('floating_ips').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || !(auth.isAdmin || row.project_id === auth.projectId)) throw floatingIpNotFound(id)
  return row
}

/** Every floating IP the caller may read. */
export async function visibleFloatingIpRows(db: Db, auth: AuthContext): Promise<FloatingIpsTable[]> {
  let query = db.selectFrom('floating_ips').selectAll()
  if (!auth.isAdmin) query = query.where('project_id', '=', auth.projectId ?? '')
  return query.orderBy('created_at').execute()
}

/** `_internal_fip_assoc_data`: the port's fixed IPv4 address to map, checked as Neutron checks it. */
async function internalAddress(trx: Db, auth: AuthContext, fip: FloatingIpsTable, portId: string, fixedIp: string | null | undefined): Promise<{ port: PortsTable; subnetId: string; address: string }> {
  const port = await visiblePort(trx, auth, portId)
  if (port.project_id !== fip.project_id && !auth.isAdmin) {
    throw badL3Request('floatingip', `Cannot process floating IP association with Port ${portId}, since that port is owned by a different project`)
  }
  // utils.is_fip_serviced: network-owned ports (router, DHCP, floating IP) take no floating IP.
  if (port.device_owner.startsWith('network:')) throw badL3Request('floatingip', `Port ${portId} is unable to be assigned a floating IP`)
  const ips = await trx.selectFrom('ip_allocations').select(['subnet_id', 'ip_address']).where('port_id', '=', portId).execute()
  if (fixedIp) {
    if (!isIPv4(fixedIp)) throw badL3Request('floatingip', `Cannot process floating IP association with ${fixedIp}, since that is not an IPv4 address`)
    const ip = ips.find((i) => i.ip_address === fixedIp)
    if (!ip) throw badL3Request('floatingip', `Port ${portId} does not have fixed ip ${fixedIp}`)
    return { port, subnetId: ip.subnet_id, address: fixedIp }
  }
  const v4 = ips.filter((i) => isIPv4(i.ip_address))
  if (!v4.length) throw badL3Request('floatingip', `Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`)
  if (v4.length > 1) throw badL3Request('floatingip', `Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`)
  return { port, subnetId: v4[0]!.subnet_id, address: v4[0]!.ip_address }
}

/**
 * `get_router_for_floatingip`: a router with an interface on the port's
 * subnet and its gateway on the floating IP's network (the one whose
 * interface is the subnet's gateway first), else 404 ExternalGatewayForFloatingIPNotFound.
 */
async function routerFor(trx: Db, port: PortsTable, subnetId: string, externalNetworkId: string): Promise<string> {
  const candidates = await trx.selectFrom('ports as rp').innerJoin('ip_allocations', 'ip_allocations.port_id', 'rp.id')
    .innerJoin('ports as gw', 'gw.device_id', 'rp.device_id')
    .select(['rp.device_id as router_id', 'ip_allocations.ip_address'])
    .where('rp.network_id', '=', port.network_id).where('rp.device_owner', '=', ROUTER_INTERFACE_OWNER).where('ip_allocations.subnet_id', '=', subnetId)
    .where('gw.network_id', '=', externalNetworkId).where('gw.device_owner', '=', ROUTER_GATEWAY_OWNER).orderBy('rp.created_at').execute()
  const subnet = await trx.selectFrom('subnets').select('gateway_ip').where('id', '=', subnetId).executeTakeFirstOrThrow()
  const best = candidates.find((c) => c.ip_address === subnet.gateway_ip) ?? candidates[0]
  if (!best) {
    throw new NeutronError('ExternalGatewayForFloatingIPNotFound',
      `External network ${externalNetworkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${port.id} with a Floating IP.`, 404, NetworkErrorCode.NOT_FOUND)
  }
  return best.router_id
}

/**
 * The association a create or update asks for (`_check_and_get_fip_assoc`):
 * `port_id` null or absent-with-none clears it. Returns the columns to set.
 */
async function association(trx: Db, auth: AuthContext, fip: FloatingIpsTable, input: FloatingIpInput): Promise<Pick<FloatingIpsTable, 'fixed_port_id' | 'fixed_ip_address' | 'router_id'>> {
  if (input.fixed_ip_address && !input.port_id) throw badL3Request('floatingip', 'fixed_ip_address cannot be specified without a port_id')
  if (!input.port_id) return { fixed_port_id: null, fixed_ip_address: null, router_id: null }
  const { port, subnetId, address } = await internalAddress(trx, auth, fip, input.port_id, input.fixed_ip_address)
  const routerId = await routerFor(trx, port, subnetId, fip.floating_network_id)
  if (port.id !== fip.fixed_port_id || address !== fip.fixed_ip_address) {
    const taken = await trx.selectFrom('floating_ips').select('id').where('fixed_port_id', '=', port.id).where('floating_network_id', '=', fip.floating_network_id)
      .where('fixed_ip_address', '=', address).where('id', '!=', fip.id).executeTakeFirst()
    if (taken) {
      throw inUse('FloatingIPPortAlreadyAssociated',
        `Cannot associate floating IP ${fip.floating_ip_address} (${fip.id}) with port ${port.id} using fixed IP ${address}, as that fixed IP already has a floating IP on external network ${fip.floating_network_id}.`)
    }
  }
  return { fixed_port_id: port.id, fixed_ip_address: address, router_id: routerId }
}

/**
 * `POST /v2.0/floatingips`: an address (the given one, or the next free)
 * from an external network's IPv4 subnets, held by its own port
 * (network:floatingip); quota `floatingip`; optionally associated at once.
 * Returns the row and the ports whose forwards changed.
 */
export async function createFloatingIp(trx: Db, auth: AuthContext, input: FloatingIpInput): Promise<{ row: FloatingIpsTable; changedPorts: string[] }> {
  const projectId = owningProject(auth, input)
  const networkId = input.floating_network_id!
  const network = await visibleNetwork(trx, auth, networkId)
  if (network.external !== 1) throw badL3Request('floatingip', `Network ${networkId} is not a valid external network`)
  const v4 = await trx.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('ip_version', '=', 4).executeTakeFirst()
  if (!v4) throw badL3Request('floatingip', `Network ${networkId} does not contain any IPv4 subnet`)
  await checkNetworkQuota(trx, projectId, 'floatingip')
  const id = randomUUID()
  const fixedIps = input.subnet_id !== undefined || input.floating_ip_address !== undefined
    ? [{ ...(input.subnet_id !== undefined ? { subnet_id: input.subnet_id } : {}), ...(input.floating_ip_address !== undefined ? { ip_address: input.floating_ip_address } : {}) }]
    : undefined
  const port = await insertPort(trx, {
    network, projectId: '', deviceOwner: FLOATING_IP_OWNER, deviceId: id, status: 'N/A', fixedIps, securityGroups: [], portSecurityEnabled: false,
  }).catch((error: unknown) => {
    if (error instanceof NeutronError && error.type === 'IpAddressGenerationFailure') {
      throw badRequestOf('ExternalIpAddressExhausted', `Unable to find any IP address on external network ${networkId}.`)
    }
    throw error
  })
  const address = await trx.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', port.id).executeTakeFirst()
  if (!address) throw badRequestOf('ExternalIpAddressExhausted', `Unable to find any IP address on external network ${networkId}.`)
  const now = nowIso()
  const row: FloatingIpsTable = {
    id, project_id: projectId, floating_network_id: networkId, floating_ip_address: address.ip_address, floating_port_id: port.id,
    fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN', description: input.description ?? '', revision_number: 1,
    created_at: now, updated_at: now,
  }
  Object.assign(row, await association(trx, auth, row, input))
  await trx.insertInto('floating_ips').values(row).execute()
  return { row, changedPorts: row.fixed_port_id ? [row.fixed_port_id] : [] }
}

/** `PUT /v2.0/floatingips/{id}`: `port_id` (null disassociates), `fixed_ip_address`, `description`. */
export async function updateFloatingIp(trx: Db, auth: AuthContext, id: string, input: FloatingIpInput): Promise<{ changedPorts: string[] }> {
  const row = await visibleFloatingIp(trx, auth, id)
  const set: Partial<FloatingIpsTable> = { updated_at: nowIso(), revision_number: row.revision_number + 1 }
  if (input.description !== undefined) set.description = input.description
  if ('port_id' in input || input.fixed_ip_address !== undefined) {
    // Without a port_id key the current port stays (Neutron's bug #1610045 fix).
    const wanted = 'port_id' in input ? input : { ...input, port_id: row.fixed_port_id }
    Object.assign(set, await association(trx, auth, row, wanted))
  }
  await trx.updateTable('floating_ips').set(set).where('id', '=', id).execute()
  const changed = [row.fixed_port_id, set.fixed_port_id].filter((p): p is string => typeof p === 'string')
  return { changedPorts: [...new Set(changed)] }
}

/** `DELETE /v2.0/floatingips/{id}`: the address and its port go. */
export async function deleteFloatingIp(trx: Db, auth: AuthContext, id: string): Promise<{ changedPorts: string[] }> {
  const row = await visibleFloatingIp(trx, auth, id)
  await trx.deleteFrom('network_tags').where('resource_id', '=', id).execute()
  await trx.deleteFrom('floating_ips').where('id', '=', id).execute()
  await removePort(trx, row.floating_port_id)
  return { changedPorts: row.fixed_port_id ? [row.fixed_port_id] : [] }
}
