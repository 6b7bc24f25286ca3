import type { Db } from '../../db/schema.js'
import type { NetworksTable, PortsTable, SubnetsTable } from '../../db/tables/network-tables.js'
import { novaTime } from '../time.js'
import type { ResourceDict } from './resource-query.js'

/** Who reads a resource: admins see the provider and binding details. */
export interface Viewer {
  isAdmin: boolean
}

const bool = (value: number) => value === 1
const time = (iso: string) => novaTime(iso)

/** Tags of many resources at once. */
export async function tagsOf(db: Db, ids: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(ids.map((id) => [id, []]))
  if (ids.length === 0) return result
  const rows = await db.selectFrom('network_tags').select(['resource_id', 'tag']).where('resource_id', 'in', ids).orderBy('tag').execute()
  for (const row of rows) result.get(row.resource_id)?.push(row.tag)
  return result
}

/** Neutron's `_make_network_dict` (+ external-net, provider for admins, mtu, port-security, AZ, standard attributes). */
export function networkDict(row: NetworksTable, subnetIds: string[], tags: string[], viewer: Viewer): ResourceDict {
  const dict: ResourceDict = {
    id: row.id, name: row.name, tenant_id: row.project_id, project_id: row.project_id, admin_state_up: bool(row.admin_state_up),
    mtu: row.mtu, status: row.status, subnets: subnetIds, shared: bool(row.shared), availability_zone_hints: [], availability_zones: ['nova'],
    ipv4_address_scope: null, ipv6_address_scope: null, 'router:external': bool(row.external), is_default: bool(row.is_default),
    description: row.description, port_security_enabled: bool(row.port_security_enabled), l2_adjacency: true, tags,
    created_at: time(row.created_at), updated_at: time(row.updated_at), revision_number: row.revision_number,
  }
  if (viewer.isAdmin) {
    Object.assign(dict, { 'provider:network_type': row.network_type, 'provider:physical_network': null, 'provider:segmentation_id': null })
  }
  return dict
}

/** Neutron's `_make_subnet_dict`. */
export function subnetDict(row: SubnetsTable, tags: string[]): ResourceDict {
  return {
    id: row.id, name: row.name, tenant_id: row.project_id, project_id: row.project_id, network_id: row.network_id, ip_version: row.ip_version,
    cidr: row.cidr, gateway_ip: row.gateway_ip, enable_dhcp: bool(row.enable_dhcp), allocation_pools: JSON.parse(row.allocation_pools),
    dns_nameservers: JSON.parse(row.dns_nameservers), host_routes: JSON.parse(row.host_routes), ipv6_ra_mode: row.ipv6_ra_mode,
    ipv6_address_mode: row.ipv6_address_mode, subnetpool_id: row.subnetpool_id, description: row.description, service_types: [],
    segment_id: null, tags, created_at: time(row.created_at), updated_at: time(row.updated_at), revision_number: row.revision_number,
  }
}

/** A port's fixed IPs and security groups, loaded with it. */
export interface PortExtras {
  fixedIps: Array<{ subnet_id: string; ip_address: string }>
  securityGroups: string[]
  tags: string[]
}

/** Neutron's `_make_port_dict` with binding (details for admins), port-security, allowed-address-pairs, standard attributes. */
export function portDict(row: PortsTable, extras: PortExtras, viewer: Viewer): ResourceDict {
  const dict: ResourceDict = {
    id: row.id, name: row.name, network_id: row.network_id, tenant_id: row.project_id, project_id: row.project_id, mac_address: row.mac_address,
    admin_state_up: bool(row.admin_state_up), status: row.status, device_id: row.device_id, device_owner: row.device_owner,
    fixed_ips: extras.fixedIps, allowed_address_pairs: [], extra_dhcp_opts: [], security_groups: extras.securityGroups,
    description: row.description, 'binding:vnic_type': row.binding_vnic_type, port_security_enabled: bool(row.port_security_enabled),
    dns_name: row.dns_name, ip_allocation: 'immediate', tags: extras.tags, created_at: time(row.created_at), updated_at: time(row.updated_at),
    revision_number: row.revision_number,
  }
  if (viewer.isAdmin) {
    Object.assign(dict, {
      'binding:host_id': row.binding_host_id, 'binding:profile': JSON.parse(row.binding_profile), 'binding:vif_type': row.binding_vif_type,
      'binding:vif_details': row.binding_vif_type === 'unbound' ? {} : { port_filter: false },
    })
  }
  return dict
}

/** Fixed IPs, security groups and tags of many ports at once. */
export async function portExtras(db: Db, portIds: string[]): Promise<Map<string, PortExtras>> {
  const result = new Map<string, PortExtras>(portIds.map((id) => [id, { fixedIps: [], securityGroups: [], tags: [] }]))
  if (portIds.length === 0) return result
  const ips = await db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', portIds).execute()
  // The order addresses were given in is not kept; Neutron sorts them too (by subnet, then address).
  ips.sort((a, b) => (a.subnet_id === b.subnet_id ? ipOrder(a.ip_address, b.ip_address) : a.subnet_id < b.subnet_id ? -1 : 1))
  for (const ip of ips) result.get(ip.port_id)?.fixedIps.push({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })
  const groups = await db.selectFrom('port_security_groups').select(['port_id', 'security_group_id']).where('port_id', 'in', portIds).execute()
  for (const group of groups) result.get(group.port_id)?.securityGroups.push(group.security_group_id)
  const tags = await tagsOf(db, portIds)
  for (const [id, list] of tags) result.get(id)!.tags = list
  return result
}

function ipOrder(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return 0
}
