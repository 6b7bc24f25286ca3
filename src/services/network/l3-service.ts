import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import { caller } from './network-access.js'
import { applyListQuery, pickFields, type ListPage, type ListQuery, type ResourceDict } from './resource-query.js'
import { floatingIpDicts, routerDicts } from './l3-dicts.js'
import { createRouter, deleteRouter, routerNotFound, updateRouter, visibleRouter, visibleRouterRows, type RouterInput } from './routers.js'
import { addInterface, removeInterface, type InterfaceInfo } from './router-interfaces.js'
import {
  createFloatingIp, deleteFloatingIp, floatingIpNotFound, updateFloatingIp, visibleFloatingIp, visibleFloatingIpRows, type FloatingIpInput,
} from './floating-ips.js'
import { forwardsOfPorts, withForwardsRefresh, type NetworkChangeQueue } from './port-forwards.js'
import type { PortForward } from '../../agent-api/values.js'

export type { RouterInput } from './routers.js'
export type { InterfaceInfo } from './router-interfaces.js'
export type { FloatingIpInput } from './floating-ips.js'

/** What the L3 service is built with. */
export interface L3Deps extends Store {
  readonly tasks: NetworkChangeQueue
  /** LIFEBOAT_FIP_PORT_OFFSET (see forwards.ts `hostPortFor`). */
  readonly floatingIpPortOffset: number
}

/**
 * Neutron's L3 (routers with gateways, interfaces and extra routes; floating
 * IPs with fip-port-details) over the network model, with Neutron's default
 * policy (a project's own, all for an admin). An association change queues
 * `network_changed` for the running servers whose forwards it changes.
 */
export class L3Service {
  readonly #deps: L3Deps

  constructor(deps: L3Deps) {
    this.#deps = deps
  }

  #page(dicts: ResourceDict[], query: ListQuery, missing: (id: string) => Error): ListPage {
    const page = applyListQuery(dicts, query)
    if (!page.markerExists) throw missing(query.marker!)
    return page
  }

  // ---- routers ----

  async listRouters(auth: AuthContext, query: ListQuery): Promise<ListPage> {
    const db = this.#deps.db
    return this.#page(await routerDicts(db, await visibleRouterRows(db, caller(auth))), query, routerNotFound)
  }

  async showRouter(auth: AuthContext, id: string, fields: string[] = []): Promise<ResourceDict> {
    const db = this.#deps.db
    return pickFields((await routerDicts(db, [await visibleRouter(db, caller(auth), id)]))[0]!, fields)
  }

  async createRouter(auth: AuthContext, input: RouterInput): Promise<ResourceDict> {
    return this.showRouter(auth, await createRouter(this.#deps.db, caller(auth), input))
  }

  async updateRouter(auth: AuthContext, id: string, input: RouterInput): Promise<ResourceDict> {
    await updateRouter(this.#deps.db, caller(auth), id, input)
    return this.showRouter(auth, id)
  }

  deleteRouter(auth: AuthContext, id: string): Promise<void> {
    return deleteRouter(this.#deps.db, caller(auth), id)
  }

  addRouterInterface(auth: AuthContext, id: string, info: InterfaceInfo): Promise<ResourceDict> {
    return addInterface(this.#deps.db, caller(auth), id, info)
  }

  removeRouterInterface(auth: AuthContext, id: string, info: InterfaceInfo): Promise<ResourceDict> {
    return removeInterface(this.#deps.db, caller(auth), id, info)
  }

  // ---- floating IPs ----

  async listFloatingIps(auth: AuthContext, query: ListQuery): Promise<ListPage> {
    const db = this.#deps.db
    return this.#page(await floatingIpDicts(db, await visibleFloatingIpRows(db, caller(auth))), query, floatingIpNotFound)
  }

  async showFloatingIp(auth: AuthContext, id: string, fields: string[] = []): Promise<ResourceDict> {
    const db = this.#deps.db
    return pickFields((await floatingIpDicts(db, [await visibleFloatingIp(db, caller(auth), id)]))[0]!, fields)
  }

  async createFloatingIp(auth: AuthContext, input: FloatingIpInput): Promise<ResourceDict> {
    const who = caller(auth)
    const id = await withForwardsRefresh(this.#deps.db, this.#deps.tasks, async (trx) => {
      const { row, changedPorts } = await createFloatingIp(trx, who, input)
      return { value: row.id, portIds: changedPorts }
    })
    return this.showFloatingIp(who, id)
  }

  async updateFloatingIp(auth: AuthContext, id: string, input: FloatingIpInput): Promise<ResourceDict> {
    const who = caller(auth)
    await withForwardsRefresh(this.#deps.db, this.#deps.tasks, async (trx) => ({ value: undefined, portIds: (await updateFloatingIp(trx, who, id, input)).changedPorts }))
    return this.showFloatingIp(who, id)
  }

  async deleteFloatingIp(auth: AuthContext, id: string): Promise<void> {
    const who = caller(auth)
    await withForwardsRefresh(this.#deps.db, this.#deps.tasks, async (trx) => ({ value: undefined, portIds: (await deleteFloatingIp(trx, who, id)).changedPorts }))
  }

  /** Queues `network_changed` for the running servers of ports whose groups or port security changed. */
  async portSecurityChanged(portIds: string[]): Promise<void> {
    await withForwardsRefresh(this.#deps.db, this.#deps.tasks, async (trx) => {
      const withFips = await trx.selectFrom('floating_ips').select('fixed_port_id').where('fixed_port_id', 'in', portIds).execute()
      return { value: undefined, portIds: withFips.map((f) => f.fixed_port_id!) }
    })
  }

  /** The forwards of ports (`NicSpec.forwards`), from their floating IPs and security groups. */
  forwardsOf(portIds: string[]): Promise<Map<string, PortForward[]>> {
    return forwardsOfPorts(this.#deps.db, portIds, this.#deps.floatingIpPortOffset)
  }
}
