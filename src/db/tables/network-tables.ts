/**
 * Row types of the network service's tables (Neutron's model; see the
 * migration 2026-12-05-001-network). Booleans are 0/1, list-valued subnet
 * attributes are JSON text.
 */
export interface NetworksTable {
  id: string
  project_id: string
  name: string
  description: string
  admin_state_up: number
  status: string
  shared: number
  /** `router:external`. */
  external: number
  is_default: number
  mtu: number
  port_security_enabled: number
  /** `provider:network_type` (`local`, `flat`). */
  network_type: string
  revision_number: number
  created_at: string
  updated_at: string
}

export interface SubnetsTable {
  id: string
  network_id: string
  project_id: string
  name: string
  description: string
  ip_version: number
  cidr: string
  gateway_ip: string | null
  enable_dhcp: number
  ipv6_ra_mode: string | null
  ipv6_address_mode: string | null
  subnetpool_id: string | null
  /** JSON: `[{ start, end }]`. */
  allocation_pools: string
  /** JSON: `["8.8.8.8"]`. */
  dns_nameservers: string
  /** JSON: `[{ destination, nexthop }]`. */
  host_routes: string
  revision_number: number
  created_at: string
  updated_at: string
}

export interface PortsTable {
  id: string
  network_id: string
  project_id: string
  name: string
  description: string
  mac_address: string
  admin_state_up: number
  status: string
  device_id: string
  device_owner: string
  binding_host_id: string
  binding_vnic_type: string
  binding_vif_type: string
  /** JSON object. */
  binding_profile: string
  port_security_enabled: number
  dns_name: string
  revision_number: number
  created_at: string
  updated_at: string
}

/** A port's fixed IP; (subnet_id, ip_address) is the key, so no address is given twice. */
export interface IpAllocationsTable {
  port_id: string
  subnet_id: string
  network_id: string
  ip_address: string
}

export interface PortSecurityGroupsTable {
  port_id: string
  security_group_id: string
}

export interface RoutersTable {
  id: string
  project_id: string
  name: string
  description: string
  admin_state_up: number
  status: string
  /** The gateway port on the external network, or null without a gateway. */
  gw_port_id: string | null
  enable_snat: number
  /** JSON: `[{ destination, nexthop }]` (extraroute). */
  routes: string
  revision_number: number
  created_at: string
  updated_at: string
}

export interface FloatingIpsTable {
  id: string
  project_id: string
  floating_network_id: string
  floating_ip_address: string
  /** The address's own port on the external network (device_owner network:floatingip). */
  floating_port_id: string
  fixed_port_id: string | null
  fixed_ip_address: string | null
  router_id: string | null
  status: string
  description: string
  revision_number: number
  created_at: string
  updated_at: string
}

/** Neutron's standard-attribute tags, one table for every network resource kind. */
export interface NetworkTagsTable {
  resource_id: string
  tag: string
}

export interface NetworkTables {
  networks: NetworksTable
  subnets: SubnetsTable
  ports: PortsTable
  ip_allocations: IpAllocationsTable
  port_security_groups: PortSecurityGroupsTable
  routers: RoutersTable
  floating_ips: FloatingIpsTable
  network_tags: NetworkTagsTable
}
