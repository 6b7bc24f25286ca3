import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import { caller, assertOwner, visibleNetwork } from './network-access.js'
import { notFound } from './network-errors.js'
import { applyListQuery, pickFields, type ListPage, type ListQuery, type ResourceDict } from './resource-query.js'
import { createNetwork, deleteNetwork, networkDicts, updateNetwork, visibleNetworkRows, type NetworkInput } from './networks.js'
import { createSubnet, deleteSubnet, subnetDicts, updateSubnet, visibleSubnet, visibleSubnetRows, type SubnetInput } from './subnets.js'
import { createPort, deletePort, portDicts, updatePort, visiblePort, visiblePortRows, type PortInput } from './port-requests.js'
import { requestedGroupsOnly, type PortSecurityGroupsHook } from './network-ports.js'
import { addTag, checkTagPresent, listTags, removeTags, replaceTags, type TaggableCollection } from './resource-tags.js'
import { listNetworkQuotas, networkQuotaDetails, resetNetworkQuota, showNetworkQuota, updateNetworkQuota } from './network-quotas.js'
import { ServerPorts, type ForwardsOf } from './server-ports.js'

export type { ListQuery, ListPage, ResourceDict } from './resource-query.js'
export type { NetworkInput } from './networks.js'
export type { SubnetInput } from './subnets.js'
export type { PortInput } from './port-requests.js'

/** What the network service is built with. */
export interface NetworkServiceOptions {
  /**
   * Security groups of a new or updated port. The security-group module
   * (routers, floating IPs and security groups come after this core) gives
   * the project's `default` group here; without it ports get the groups
   * requested and none by default.
   */
  portSecurityGroups?: PortSecurityGroupsHook
  /** The forwards of ports for their NICs (the floating-IP module's); without it NICs have none. */
  forwardsOf?: ForwardsOf
  /** The resources of the other modules' taggable collections (routers, floating IPs, security groups), as the caller may read them. */
  taggable?: (db: Store['db'], auth: AuthContext, collection: TaggableCollection, id: string) => Promise<{ project_id: string } | null>
  /** Called after a port's security groups or port security changed (its floating IPs' forwards follow them). */
  portSecurityChanged?: (portIds: string[]) => Promise<void>
}

/**
 * The network service (Neutron v2.0's core plugin, in process): networks,
 * subnets with IPAM, ports, tags and quotas, each in its own module, with
 * Neutron's default policy. Every method answers Neutron's resource dicts
 * (`ResourceDict`), which the API filters, sorts and pages. The compute
 * service reaches the ports of its servers through `servers`
 * (`ServerPorts`, the `ServerNetworks` port of compute).
 *
 * Internal building blocks for the modules on top (routers, floating IPs,
 * security groups), all taking a `Db` so they run inside the caller's
 * transaction: `insertPort`/`removePort`/`ensureDhcpAddress`
 * (network-ports.ts), `pickAddress`/`planAddressing` (ipam.ts),
 * `checkNetworkQuota`/`USAGE_COUNTERS` (network-quotas.ts),
 * `visibleNetwork`/`owningProject` (network-access.ts), the dict builders
 * (network-dicts.ts) and `applyListQuery` (resource-query.ts).
 */
export class NetworkService {
  readonly #deps: Store
  readonly #groups: PortSecurityGroupsHook
  readonly #portSecurityChanged: (portIds: string[]) => Promise<void>
  readonly #otherTaggable: NetworkServiceOptions['taggable']
  /** The ports of servers: what Nova asks of Neutron. */
  readonly servers: ServerPorts

  constructor(deps: Store, options: NetworkServiceOptions = {}) {
    this.#deps = deps
    this.#groups = options.portSecurityGroups ?? requestedGroupsOnly
    this.#portSecurityChanged = options.portSecurityChanged ?? (async () => {})
    this.#otherTaggable = options.taggable
    this.servers = new ServerPorts(deps, this.#groups, options.forwardsOf)
  }

  #page(kind: 'Network' | 'Subnet' | 'Port', dicts: ResourceDict[], query: ListQuery): ListPage {
    const page = applyListQuery(dicts, query)
    if (!page.markerExists) throw notFound(kind, query.marker!)
    return page
  }

  // ---- networks ----

  async listNetworks(auth: AuthContext, query: ListQuery): Promise<ListPage> {
    const db = this.#deps.db
    return this.#page('Network', await networkDicts(db, await visibleNetworkRows(db, caller(auth)), auth), query)
  }

  async showNetwork(auth: AuthContext, id: string, fields: string[] = []): Promise<ResourceDict> {
    const db = this.#deps.db
    const row = await visibleNetwork(db, caller(auth), id)
    return pickFields((await networkDicts(db, [row], auth))[0]!, fields)
  }

  async createNetwork(auth: AuthContext, input: NetworkInput): Promise<ResourceDict> {
    const row = await createNetwork(this.#deps.db, caller(auth), input)
    return (await networkDicts(this.#deps.db, [row], auth))[0]!
  }

  async updateNetwork(auth: AuthContext, id: string, input: NetworkInput): Promise<ResourceDict> {
    const row = await updateNetwork(this.#deps.db, caller(auth), id, input)
    return (await networkDicts(this.#deps.db, [row], auth))[0]!
  }

  deleteNetwork(auth: AuthContext, id: string): Promise<void> {
    return deleteNetwork(this.#deps.db, caller(auth), id)
  }

  // ---- subnets ----

  async listSubnets(auth: AuthContext, query: ListQuery): Promise<ListPage> {
    const db = this.#deps.db
    return this.#page('Subnet', await subnetDicts(db, await visibleSubnetRows(db, caller(auth))), query)
  }

  async showSubnet(auth: AuthContext, id: string, fields: string[] = []): Promise<ResourceDict> {
    const row = await visibleSubnet(this.#deps.db, caller(auth), id)
    return pickFields((await subnetDicts(this.#deps.db, [row]))[0]!, fields)
  }

  async createSubnet(auth: AuthContext, input: SubnetInput): Promise<ResourceDict> {
    const row = await createSubnet(this.#deps.db, caller(auth), input)
    return (await subnetDicts(this.#deps.db, [row]))[0]!
  }

  async updateSubnet(auth: AuthContext, id: string, input: SubnetInput): Promise<ResourceDict> {
    const row = await updateSubnet(this.#deps.db, caller(auth), id, input)
    return (await subnetDicts(this.#deps.db, [row]))[0]!
  }

  deleteSubnet(auth: AuthContext, id: string): Promise<void> {
    return deleteSubnet(this.#deps.db, caller(auth), id)
  }

  // ---- ports ----

  async listPorts(auth: AuthContext, query: ListQuery): Promise<ListPage> {
    const db = this.#deps.db
    const deviceIds = query.filters.device_id ?? []
    const rows = await visiblePortRows(db, caller(auth), deviceIds.length === 1 ? { deviceId: deviceIds[0] } : {})
    return this.#page('Port', await portDicts(db, rows, auth), query)
  }

  async showPort(auth: AuthContext, id: string, fields: string[] = []): Promise<ResourceDict> {
    const row = await visiblePort(this.#deps.db, caller(auth), id)
    return pickFields((await portDicts(this.#deps.db, [row], auth))[0]!, fields)
  }

  async createPort(auth: AuthContext, input: PortInput): Promise<ResourceDict> {
    const row = await createPort(this.#deps.db, caller(auth), this.#groups, input)
    return (await portDicts(this.#deps.db, [row], auth))[0]!
  }

  async updatePort(auth: AuthContext, id: string, input: PortInput): Promise<ResourceDict> {
    const row = await updatePort(this.#deps.db, caller(auth), this.#groups, id, input)
    if (input.security_groups !== undefined || input.port_security_enabled !== undefined) await this.#portSecurityChanged([id])
    return (await portDicts(this.#deps.db, [row], auth))[0]!
  }

  deletePort(auth: AuthContext, id: string): Promise<void> {
    return deletePort(this.#deps.db, caller(auth), id)
  }

  // ---- tags (standard-attr-tag) ----

  /** The resource, checked readable (`write`: and changeable) by the caller. */
  async #taggable(auth: AuthContext, collection: TaggableCollection, id: string, write: boolean): Promise<void> {
    const db = this.#deps.db
    const who = caller(auth)
    const row = collection === 'networks' ? await visibleNetwork(db, who, id)
      : collection === 'subnets' ? await visibleSubnet(db, who, id)
        : collection === 'ports' ? await visiblePort(db, who, id)
          : this.#otherTaggable ? await this.#otherTaggable(db, who, collection, id) : null
    if (!row) throw notFound('Network', id)
    if (write) assertOwner(who, row, `update_${collection.slice(0, -1)}`)
  }

  async listTags(auth: AuthContext, collection: TaggableCollection, id: string): Promise<string[]> {
    await this.#taggable(auth, collection, id, false)
    return listTags(this.#deps.db, id)
  }

  async checkTag(auth: AuthContext, collection: TaggableCollection, id: string, tag: string): Promise<void> {
    await this.#taggable(auth, collection, id, false)
    await checkTagPresent(this.#deps.db, collection, id, tag)
  }

  async addTag(auth: AuthContext, collection: TaggableCollection, id: string, tag: string): Promise<void> {
    await this.#taggable(auth, collection, id, true)
    await addTag(this.#deps.db, id, tag)
  }

  async replaceTags(auth: AuthContext, collection: TaggableCollection, id: string, tags: string[]): Promise<string[]> {
    await this.#taggable(auth, collection, id, true)
    return replaceTags(this.#deps.db, id, tags)
  }

  async removeTags(auth: AuthContext, collection: TaggableCollection, id: string, tag?: string): Promise<void> {
    await this.#taggable(auth, collection, id, true)
    await removeTags(this.#deps.db, collection, id, tag)
  }

  // ---- quotas ----

  listQuotas(auth: AuthContext) {
    return listNetworkQuotas(this.#deps.db, caller(auth))
  }

  showQuota(auth: AuthContext, projectId: string) {
    return showNetworkQuota(this.#deps.db, caller(auth), projectId)
  }

  quotaDetails(auth: AuthContext, projectId: string) {
    return networkQuotaDetails(this.#deps.db, caller(auth), projectId)
  }

  updateQuota(auth: AuthContext, projectId: string, body: Record<string, unknown>) {
    return updateNetworkQuota(this.#deps.db, caller(auth), projectId, body)
  }

  resetQuota(auth: AuthContext, projectId: string) {
    return resetNetworkQuota(this.#deps.db, caller(auth), projectId)
  }
}
