import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/schema.js'
import type { NetworksTable, SubnetsTable } from '../../db/tables/network-tables.js'
import { nowIso } from '../time.js'
import { planAddressing } from './ipam.js'
import { ensureDhcpAddress } from './network-ports.js'
import { insertConnectedRouter } from './routers.js'

/** The floating-IP range: a loopback range on the host, so the data plane can listen on its addresses without root. */
export const PUBLIC_CIDR = '127.42.0.0/24'
export const PUBLIC_GATEWAY = '127.42.0.1'
/** The demo project's private range (DevStack's FIXED_RANGE). */
export const PRIVATE_CIDR = '10.0.0.0/24'

/** What the first start made. */
export interface SeededTopology {
  publicNetwork: NetworksTable
  publicSubnet: SubnetsTable
  privateNetwork: NetworksTable
  privateSubnet: SubnetsTable
}

async function insertNetwork(trx: Db, projectId: string, name: string, external: boolean): Promise<NetworksTable> {
  const now = nowIso()
  const row: NetworksTable = {
    id: randomUUID(), project_id: projectId, name, description: '', admin_state_up: 1, status: 'ACTIVE', shared: 0, external: external ? 1 : 0,
    is_default: external ? 1 : 0, mtu: 1500, port_security_enabled: 1, network_type: external ? 'flat' : 'local', revision_number: 1, created_at: now, updated_at: now,
  }
  await trx.insertInto('networks').values(row).execute()
  return row
}

async function insertSubnet(trx: Db, network: NetworksTable, name: string, cidr: string, gateway: string, dhcp: boolean): Promise<SubnetsTable> {
  const addressing = planAddressing({ cidr, gatewayIp: gateway })
  const now = nowIso()
  const row: SubnetsTable = {
    id: randomUUID(), network_id: network.id, project_id: network.project_id, name, description: '', ip_version: 4, cidr: addressing.cidr.text,
    gateway_ip: addressing.gatewayIp, enable_dhcp: dhcp ? 1 : 0, ipv6_ra_mode: null, ipv6_address_mode: null, subnetpool_id: null,
    allocation_pools: JSON.stringify(addressing.pools), dns_nameservers: '[]', host_routes: '[]', revision_number: 1, created_at: now, updated_at: now,
  }
  await trx.insertInto('subnets').values(row).execute()
  if (dhcp) await ensureDhcpAddress(trx, network, row)
  return row
}

/**
 * The router between them, `router1` (DevStack's), owned by the demo
 * project: its gateway on `public` and an interface on `private-subnet`, so
 * a demo server's port can take a floating IP of `public`.
 */
export async function seedRouter1(trx: Db, topology: SeededTopology & { adminProjectId: string; demoProjectId: string }): Promise<void> {
  await insertConnectedRouter(trx, { projectId: topology.demoProjectId, name: 'router1', external: topology.publicNetwork, subnet: topology.privateSubnet })
}

/**
 * First start, inside the bootstrap transaction (as DevStack leaves a
 * cloud): `public`, external, owned by the admin project and not shared
 * (so it is no candidate for a demo boot without `networks`; Nova's rule
 * would find two networks and refuse), with `public-subnet` on the loopback
 * floating range 127.42.0.0/24 (gateway .1, pool from .2, no DHCP);
 * `private` with `private-subnet` 10.0.0.0/24 for the demo project (its DHCP
 * port takes 10.0.0.2); and `router1` (seedRouter1). An upgraded data folder
 * gets it once, when the network tables are created (identity/bootstrap.ts
 * seedUpgradedTopology; docs/architecture.md).
 */
export async function seedTopology(trx: Db, projects: { adminProjectId: string; demoProjectId: string }): Promise<SeededTopology> {
  const publicNetwork = await insertNetwork(trx, projects.adminProjectId, 'public', true)
  const publicSubnet = await insertSubnet(trx, publicNetwork, 'public-subnet', PUBLIC_CIDR, PUBLIC_GATEWAY, false)
  const privateNetwork = await insertNetwork(trx, projects.demoProjectId, 'private', false)
  const privateSubnet = await insertSubnet(trx, privateNetwork, 'private-subnet', PRIVATE_CIDR, '10.0.0.1', true)
  const topology = { publicNetwork, publicSubnet, privateNetwork, privateSubnet }
  await seedRouter1(trx, { ...topology, ...projects })
  return topology
}
