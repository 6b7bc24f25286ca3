import type { Db } from '../../db/schema.js'
import type { FloatingIpsTable, RoutersTable } from '../../db/tables/network-tables.js'
import { novaTime } from '../time.js'
import { badRequestOf } from './network-errors.js'
import { tagsOf } from './network-dicts.js'
import type { ResourceDict } from './resource-query.js'

/** The device owners of L3 ports (neutron_lib.constants). */
export const ROUTER_INTERFACE_OWNER = 'network:router_interface'
export const ROUTER_GATEWAY_OWNER = 'network:router_gateway'
export const FLOATING_IP_OWNER = 'network:floatingip'

/** neutron-lib's BadRequest: "Bad <resource> request: <msg>." */
export function badL3Request(resource: 'router' | 'floatingip', msg: string) {
  return badRequestOf('BadRequest', `Bad ${resource} request: ${msg}.`)
}

/** Neutron's `external_gateway_info` of routers: the gateway port's network and addresses. */
async function gatewayInfos(db: Db, rows: RoutersTable[]): Promise<Map<string, ResourceDict>> {
  const out = new Map<string, ResourceDict>()
  const gwPorts = rows.map((r) => r.gw_port_id).filter((id): id is string => id !== null)
  if (!gwPorts.length) return out
  const ports = await db.selectFrom('ports').select(['id', 'network_id']).where('id', 'in', gwPorts).execute()
  const ips = await db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', gwPorts).execute()
  for (const row of rows) {
    const port = ports.find((p) => p.id === row.gw_port_id)
    if (!port) continue
    out.set(row.id, {
      network_id: port.network_id, enable_snat: Number(row.enable_snat) === 1,
      external_fixed_ips: ips.filter((i) => i.port_id === port.id).map((i) => ({ subnet_id: i.subnet_id, ip_address: i.ip_address })),
    })
  }
  return out
}

/** Neutron's `_make_router_dict` (+ extraroute, router AZ, standard attributes). */
export async function routerDicts(db: Db, rows: RoutersTable[]): Promise<ResourceDict[]> {
  if (!rows.length) return []
  const gateways = await gatewayInfos(db, rows)
  const tags = await tagsOf(db, rows.map((r) => r.id))
  return rows.map((row) => ({
    id: row.id, name: row.name, tenant_id: row.project_id, project_id: row.project_id, admin_state_up: Number(row.admin_state_up) === 1,
    status: row.status, external_gateway_info: gateways.get(row.id) ?? null, description: row.description, routes: JSON.parse(row.routes),
    availability_zone_hints: [], availability_zones: ['nova'], flavor_id: null, tags: tags.get(row.id) ?? [],
    created_at: novaTime(row.created_at), updated_at: novaTime(row.updated_at), revision_number: row.revision_number,
  }))
}

/**
 * Neutron's `_make_floatingip_dict` with fip-port-details: `status` is ACTIVE
 * while the associated port is (its server runs), else DOWN.
 */
export async function floatingIpDicts(db: Db, rows: FloatingIpsTable[]): Promise<ResourceDict[]> {
  if (!rows.length) return []
  const portIds = rows.map((r) => r.fixed_port_id).filter((id): id is string => id !== null)
  const ports = portIds.length ? await db.selectFrom('ports').selectAll().where('id', 'in', portIds).execute() : []
  const tags = await tagsOf(db, rows.map((r) => r.id))
  return rows.map((row) => {
    const port = ports.find((p) => p.id === row.fixed_port_id)
    return {
      id: row.id, tenant_id: row.project_id, project_id: row.project_id, floating_network_id: row.floating_network_id,
      floating_ip_address: row.floating_ip_address, fixed_ip_address: row.fixed_ip_address, port_id: row.fixed_port_id, router_id: row.router_id,
      status: port?.status === 'ACTIVE' ? 'ACTIVE' : 'DOWN', description: row.description,
      port_details: port ? {
        name: port.name, network_id: port.network_id, mac_address: port.mac_address, admin_state_up: Number(port.admin_state_up) === 1,
        status: port.status, device_id: port.device_id, device_owner: port.device_owner,
      } : null,
      tags: tags.get(row.id) ?? [], created_at: novaTime(row.created_at), updated_at: novaTime(row.updated_at), revision_number: row.revision_number,
    }
  })
}
