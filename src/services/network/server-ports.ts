import type { Db } from '../../db/schema.js'
import type { NetworksTable, PortsTable } from '../../db/tables/network-tables.js'
import type { NicSpec } from '../../agent-api/index.js'
import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import { nowIso } from '../time.js'
import { parseIpv4Cidr } from '../../util/ipv4.js'
import { dhcpAddress, insertPort, removePort, vifTypeFor, type PortSecurityGroupsHook } from './network-ports.js'
import { USAGE_COUNTERS, checkNetworkQuota, networkQuotas } from './network-quotas.js'
import { canSeeNetwork } from './network-access.js'

/** One address of a server as Nova's `addresses` shows it. */
export interface ServerAddress {
  version: 4 | 6
  addr: string
  type: 'fixed' | 'floating'
  mac: string
}

/** A server's addresses by network name, in port order (fixed first, then floating, per port). */
export type ServerAddresses = Record<string, ServerAddress[]>

/** A port as Nova sees it on a server (os-interface). */
export interface ServerPort {
  portId: string
  networkId: string
  mac: string
  status: string
  fixedIps: Array<{ subnet_id: string; ip_address: string }>
}

/** A NIC to give a server: a new port on a network (optionally at a fixed IP), or the user's existing port. */
export interface NicRequest {
  networkId: string
  portId?: string
  fixedIp?: string
}

/** Where a server's ports are bound. */
export interface PortBinding {
  instanceUuid: string
  projectId: string
  host: string
  zone: string
  /** The server's security group ids, for new ports. */
  securityGroups?: string[]
}

/** The forwards of ports (`NicSpec.forwards`) by port id. */
export type ForwardsOf = (portIds: string[]) => Promise<Map<string, NicSpec['forwards']>>

/**
 * The network service's side of Nova's `network.neutron.API`: the networks a
 * project may boot on, its ports checked, then ports created or bound for a
 * server, their status, addresses and NICs, and their release.
 */
export class ServerPorts {
  readonly #deps: Store
  readonly #groups: PortSecurityGroupsHook
  readonly #forwardsOf: ForwardsOf

  constructor(deps: Store, groups: PortSecurityGroupsHook, forwardsOf: ForwardsOf = async () => new Map()) {
    this.#deps = deps
    this.#groups = groups
    this.#forwardsOf = forwardsOf
  }

  /** Nova's `_get_available_networks`: the project's own non-shared networks, then the shared ones (`ids`: only those, visible to the caller). */
  async availableNetworks(auth: AuthContext, ids?: string[]): Promise<NetworksTable[]> {
    const db = this.#deps.db
    if (ids !== undefined) {
      if (ids.length === 0) return []
      const rows = await db.selectFrom('networks').selectAll().where('id', 'in', ids).execute()
      return rows.filter((row) => canSeeNetwork(auth, row))
    }
    const own = await db.selectFrom('networks').selectAll().where('project_id', '=', auth.projectId ?? '').where('shared', '=', 0).orderBy('created_at').execute()
    const shared = await db.selectFrom('networks').selectAll().where('shared', '=', 1).orderBy('created_at').execute()
    return [...own, ...shared]
  }

  /** The project's port quota and the ports it has, or null when unlimited (-1). */
  async portQuota(projectId: string): Promise<{ limit: number; used: number } | null> {
    const limit = (await networkQuotas(this.#deps.db, projectId)).port
    if (limit < 0) return null
    return { limit, used: await USAGE_COUNTERS.port(this.#deps.db, projectId) }
  }

  /** How many subnets each network has. */
  async subnetCounts(networkIds: string[]): Promise<Map<string, number>> {
    const result = new Map(networkIds.map((id) => [id, 0]))
    if (networkIds.length === 0) return result
    const rows = await this.#deps.db.selectFrom('subnets').select('network_id').where('network_id', 'in', networkIds).execute()
    for (const row of rows) result.set(row.network_id, (result.get(row.network_id) ?? 0) + 1)
    return result
  }

  /** A port the caller may use, with its fixed IPs, or null. */
  async findPort(auth: AuthContext, portId: string): Promise<(PortsTable & { fixedIps: string[] }) | null> {
    const db = this.#deps.db
    const row = await db.selectFrom('ports').selectAll().where('id', '=', portId).executeTakeFirst()
    if (!row || !(auth.isAdmin || row.project_id === auth.projectId)) return null
    const ips = await db.selectFrom('ip_allocations').select('ip_address').where('port_id', '=', portId).execute()
    return { ...row, fixedIps: ips.map((i) => i.ip_address) }
  }

  /** The port holding `address` on the network, if any (Nova's fixed-IP-in-use check). */
  async portWithAddress(networkId: string, address: string): Promise<{ portId: string; deviceId: string } | null> {
    const row = await this.#deps.db.selectFrom('ip_allocations').innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
      .select(['ports.id', 'ports.device_id']).where('ip_allocations.network_id', '=', networkId).where('ip_allocations.ip_address', '=', address).executeTakeFirst()
    return row ? { portId: row.id, deviceId: row.device_id } : null
  }

  /**
   * Creates (or binds) the server's ports, all in one transaction: a new port
   * per network request (`compute:<zone>`, bound to the host), and each
   * user port bound to the server. Returns the ids of the ports it created
   * (Nova deletes only those at delete).
   */
  async allocate(binding: PortBinding, nics: NicRequest[]): Promise<string[]> {
    return this.#deps.db.transaction().execute((trx) => this.allocateIn(trx, binding, nics))
  }

  /** `allocate` inside the caller's transaction (os-interface attach: with its instance action and task). */
  async allocateIn(trx: Db, binding: PortBinding, nics: NicRequest[]): Promise<string[]> {
    const created: string[] = []
    for (const nic of nics) {
      const network = await trx.selectFrom('networks').selectAll().where('id', '=', nic.networkId).executeTakeFirstOrThrow()
      if (nic.portId) {
        await trx.updateTable('ports').set({
          device_id: binding.instanceUuid, device_owner: `compute:${binding.zone}`, binding_host_id: binding.host, binding_vif_type: vifTypeFor(binding.host),
          updated_at: nowIso(),
        }).where('id', '=', nic.portId).execute()
        continue
      }
      await checkNetworkQuota(trx, binding.projectId, 'port')
      const securityGroups = network.port_security_enabled === 1
        ? await this.#groups(trx, { projectId: binding.projectId, requested: binding.securityGroups, portSecurityEnabled: true })
        : []
      const port = await insertPort(trx, {
        network, projectId: binding.projectId, deviceId: binding.instanceUuid, deviceOwner: `compute:${binding.zone}`, hostId: binding.host,
        fixedIps: nic.fixedIp ? [{ ip_address: nic.fixedIp }] : undefined, securityGroups,
      })
      created.push(port.id)
    }
    return created
  }

  /**
   * At delete, inside the deleting transaction (Nova deallocates before the
   * instance is destroyed, so a deleted server never leaves ports behind):
   * the server's ports go, except the user's (`keepPortIds`), which are
   * unbound (Nova's `_unbind_ports`). Floating IPs on deleted ports are
   * disassociated, not deleted.
   */
  async release(db: Db, instanceUuid: string, keepPortIds: string[]): Promise<void> {
    const ports = await db.selectFrom('ports').select('id').where('device_id', '=', instanceUuid).execute()
    for (const port of ports) {
      if (keepPortIds.includes(port.id)) {
        await this.unbind(db, port.id)
      } else {
        await db.updateTable('floating_ips').set({ fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' }).where('fixed_port_id', '=', port.id).execute()
        await removePort(db, port.id)
      }
    }
  }

  /** Unbinds a port from its server (os-interface detach of a user port, or the server's delete). */
  async unbind(db: Db, portId: string): Promise<void> {
    await db.updateTable('ports').set({
      device_id: '', device_owner: '', binding_host_id: '', binding_vif_type: 'unbound', binding_profile: '{}', dns_name: '', status: 'DOWN', updated_at: nowIso(),
    }).where('id', '=', portId).execute()
  }

  /** The server's ports bound to `host` (`''`: unbound, still the server's), as Nova's shelve offload and unshelve do. */
  async bindHost(db: Db, instanceUuid: string, host: string): Promise<void> {
    await db.updateTable('ports').set({ binding_host_id: host, binding_vif_type: vifTypeFor(host), updated_at: nowIso() }).where('device_id', '=', instanceUuid).execute()
  }

  /** Removes one port outright (os-interface detach of a port Nova created). */
  async remove(portId: string): Promise<void> {
    await this.#deps.db.transaction().execute((trx) => this.removeIn(trx, portId))
  }

  /** `remove` inside the caller's transaction (a detach's result, a failed attach's undo); its floating IPs are disassociated. */
  async removeIn(db: Db, portId: string): Promise<void> {
    await db.updateTable('floating_ips').set({ fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' }).where('fixed_port_id', '=', portId).execute()
    await removePort(db, portId)
  }

  /** ACTIVE while the guest runs, DOWN otherwise: set inside the task result's transaction. */
  async setStatus(db: Db, instanceUuid: string, status: 'ACTIVE' | 'DOWN'): Promise<void> {
    await db.updateTable('ports').set({ status }).where('device_id', '=', instanceUuid).where('status', '!=', status).execute()
  }

  /** The server's ports in the order they were made (its VIF order). */
  async serverPorts(instanceUuid: string): Promise<ServerPort[]> {
    const db = this.#deps.db
    const ports = await db.selectFrom('ports').selectAll().where('device_id', '=', instanceUuid).orderBy('created_at').orderBy('id').execute()
    if (ports.length === 0) return []
    const ips = await db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', ports.map((p) => p.id)).execute()
    return ports.map((p) => ({
      portId: p.id, networkId: p.network_id, mac: p.mac_address, status: p.status,
      fixedIps: ips.filter((i) => i.port_id === p.id).map((i) => ({ subnet_id: i.subnet_id, ip_address: i.ip_address })),
    }))
  }

  /** Live `addresses` of servers: per port its fixed IPs, then the floating IPs mapped to it, by network name. */
  async addresses(instanceUuids: string[]): Promise<Map<string, ServerAddresses>> {
    const db = this.#deps.db
    const result = new Map<string, ServerAddresses>(instanceUuids.map((id) => [id, {}]))
    if (instanceUuids.length === 0) return result
    const ports = await db.selectFrom('ports').innerJoin('networks', 'networks.id', 'ports.network_id')
      .select(['ports.id', 'ports.device_id', 'ports.mac_address', 'networks.name as network_name', 'networks.id as network_id'])
      .where('ports.device_id', 'in', instanceUuids).orderBy('ports.created_at').orderBy('ports.id').execute()
    if (ports.length === 0) return result
    const portIds = ports.map((p) => p.id)
    const fixed = await db.selectFrom('ip_allocations').select(['port_id', 'ip_address']).where('port_id', 'in', portIds).execute()
    const floating = await db.selectFrom('floating_ips').select(['fixed_port_id', 'floating_ip_address']).where('fixed_port_id', 'in', portIds).orderBy('created_at').execute()
    for (const port of ports) {
      const view = result.get(port.device_id)!
      const label = port.network_name || port.network_id
      const list = view[label] ?? (view[label] = [])
      for (const ip of fixed.filter((f) => f.port_id === port.id)) list.push({ version: 4, addr: ip.ip_address, type: 'fixed', mac: port.mac_address })
      for (const ip of floating.filter((f) => f.fixed_port_id === port.id)) list.push({ version: 4, addr: ip.floating_ip_address, type: 'floating', mac: port.mac_address })
    }
    return result
  }

  /** The server's NICs for its InstanceSpec: each port's first IPv4 address with its subnet, gateway, DNS (the DHCP port) and MTU. */
  async nics(instanceUuid: string): Promise<NicSpec[]> {
    const db = this.#deps.db
    const nics: NicSpec[] = []
    const ports = await this.serverPorts(instanceUuid)
    const forwards = await this.#forwardsOf(ports.map((p) => p.portId))
    for (const port of ports) {
      const first = port.fixedIps[0]
      if (!first) continue
      const subnet = await db.selectFrom('subnets').select(['cidr', 'gateway_ip']).where('id', '=', first.subnet_id).executeTakeFirst()
      const network = await db.selectFrom('networks').select('mtu').where('id', '=', port.networkId).executeTakeFirst()
      if (!subnet || !network || !parseIpv4Cidr(subnet.cidr)) continue
      nics.push({
        portId: port.portId, networkId: port.networkId, mac: port.mac, ip: first.ip_address, cidr: subnet.cidr, gateway: subnet.gateway_ip,
        dnsAddress: await dhcpAddress(db, first.subnet_id), mtu: network.mtu, forwards: forwards.get(port.portId) ?? [],
      })
    }
    return nics
  }
}
