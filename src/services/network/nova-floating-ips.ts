import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import { Conflict, Forbidden, InvalidRequest, LifeboatError, NotFound } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'
import { authorize } from '../policy.js'
import { ALL, type ResourceDict } from './resource-query.js'
import type { L3Service } from './l3-service.js'
import type { ServerPorts } from './server-ports.js'

/** A floating IP as Nova's `os-floating-ips` shows it (`_translate_floating_ip_view`). */
export interface NovaFloatingIp {
  id: string
  ip: string
  pool: string
  fixed_ip: string | null
  instance_id: string | null
}

/** What Nova's proxy uses of the network service. */
export interface NovaFloatingIpDeps extends Store {
  readonly l3: L3Service
  readonly servers: Pick<ServerPorts, 'serverPorts'>
  /** Nova's `[neutron] default_floating_pool` (DevStack sets it to `public`). */
  readonly defaultPool: string
}

const notFoundForId = (id: string) => new NotFound(`Floating IP not found for ID ${id}`, ServiceErrorCode.NOT_FOUND)

/**
 * Nova's ≤ 2.35 floating-IP proxy (nova/api/openstack/compute/floating_ips.py
 * and nova/network/neutron.py) over the network service: `os-floating-ips`,
 * `os-floating-ip-pools`, and the `addFloatingIp`/`removeFloatingIp` actions,
 * with Nova's own texts. The caller has checked the server (its uuid).
 */
export class NovaFloatingIps {
  readonly #deps: NovaFloatingIpDeps

  constructor(deps: NovaFloatingIpDeps) {
    this.#deps = deps
  }

  async #view(dicts: ResourceDict[]): Promise<NovaFloatingIp[]> {
    const ids = [...new Set(dicts.map((d) => String(d.floating_network_id)))]
    const networks = ids.length ? await this.#deps.db.selectFrom('networks').select(['id', 'name']).where('id', 'in', ids).execute() : []
    return dicts.map((d) => {
      const network = networks.find((n) => n.id === d.floating_network_id)
      const details = d.port_details as { device_id?: string } | null
      return {
        id: String(d.id), ip: String(d.floating_ip_address), pool: network?.name || String(d.floating_network_id),
        fixed_ip: (d.fixed_ip_address as string | null) ?? null, instance_id: details?.device_id || null,
      }
    })
  }

  /** `GET /os-floating-ips`: the project's. */
  async list(auth: AuthContext): Promise<NovaFloatingIp[]> {
    authorize(auth, 'os_compute_api:os-floating-ips:list', 'reader')
    const page = await this.#deps.l3.listFloatingIps(auth, { ...ALL, filters: auth.projectId ? { project_id: [auth.projectId] } : {} })
    return this.#view(page.items)
  }

  /** `GET /os-floating-ips/{id}`. */
  async show(auth: AuthContext, id: string): Promise<NovaFloatingIp> {
    authorize(auth, 'os_compute_api:os-floating-ips:show', 'reader')
    const dict = await this.#deps.l3.showFloatingIp(auth, id).catch(on404(() => notFoundForId(id)))
    return (await this.#view([dict]))[0]!
  }

  /** `GET /os-floating-ip-pools`: the external networks' names. */
  async pools(auth: AuthContext): Promise<string[]> {
    authorize(auth, 'os_compute_api:os-floating-ip-pools:list', 'reader')
    const rows = await this.#deps.db.selectFrom('networks').select(['id', 'name']).where('external', '=', 1).orderBy('created_at').execute()
    return rows.map((r) => r.name || r.id)
  }

  /** `POST /os-floating-ips {"pool"}`: an address from the pool (an external network by name or id). */
  async allocate(auth: AuthContext, pool: string | undefined): Promise<NovaFloatingIp> {
    authorize(auth, 'os_compute_api:os-floating-ips:create', 'member')
    const wanted = pool ?? this.#deps.defaultPool
    const network = await this.#deps.db.selectFrom('networks').select('id').where('external', '=', 1)
      .where((eb) => eb.or([eb('name', '=', wanted), eb('id', '=', wanted)])).orderBy('created_at').executeTakeFirst()
    if (!network) throw new NotFound('Floating IP pool not found.', ServiceErrorCode.NOT_FOUND)
    try {
      const dict = await this.#deps.l3.createFloatingIp(auth, { floating_network_id: network.id })
      return (await this.#view([dict]))[0]!
    } catch (error) {
      const type = neutronType(error)
      if (type === 'ExternalIpAddressExhausted') throw new NotFound(pool ? `No more floating IPs in pool ${pool}.` : 'No more floating IPs available.', ServiceErrorCode.NOT_FOUND)
      if (type === 'OverQuota') throw new Forbidden(pool ? `IP allocation over quota in pool ${pool}.` : 'IP allocation over quota.', ServiceErrorCode.FORBIDDEN)
      throw error
    }
  }

  /** `DELETE /os-floating-ips/{id}`: disassociated and released. */
  async release(auth: AuthContext, id: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-floating-ips:delete', 'member')
    await this.#deps.l3.deleteFloatingIp(auth, id).catch(on404(() => notFoundForId(id)))
  }

  async #byAddress(auth: AuthContext, address: string): Promise<ResourceDict> {
    const page = await this.#deps.l3.listFloatingIps(auth, { ...ALL, filters: { floating_ip_address: [address] } })
    const found = page.items[0]
    if (!found) throw new NotFound('floating IP not found', ServiceErrorCode.NOT_FOUND)
    // Two external networks may share a CIDR: Nova's FloatingIpMultipleFoundForAddress (a 409 here, not Nova's 500).
    if (page.items.length > 1) throw new Conflict(`Multiple floating IPs are found for address ${address}.`)
    return found
  }

  /**
   * `addFloatingIp`: onto the port holding `fixedAddress` (else the server's
   * first fixed IPv4 address). 400 without fixed IPs, as Nova's texts say.
   */
  async associate(auth: AuthContext, instanceUuid: string, address: string, fixedAddress: string | undefined): Promise<void> {
    authorize(auth, 'os_compute_api:os-floating-ips:add', 'member')
    const ports = await this.#deps.servers.serverPorts(instanceUuid)
    if (!ports.length) throw new InvalidRequest('Instance network is not ready yet')
    const fixed = ports.flatMap((p) => p.fixedIps.map((ip) => ({ port: p.portId, address: ip.ip_address })))
    if (!fixed.length) throw new InvalidRequest('No fixed IPs associated to instance')
    let target = fixed.find((f) => f.address === fixedAddress)
    if (fixedAddress !== undefined && !target) throw new InvalidRequest('Specified fixed address not assigned to instance')
    target ??= fixed.find((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f.address))
    if (!target) {
      throw new InvalidRequest(`Unable to associate floating IP ${address} to any fixed IPs for instance ${instanceUuid}. Instance has no fixed IPv4 addresses to associate.`)
    }
    const fip = await this.#byAddress(auth, address)
    try {
      await this.#deps.l3.updateFloatingIp(auth, String(fip.id), { port_id: target.port, fixed_ip_address: target.address })
    } catch (error) {
      if (!neutronType(error)) throw error
      throw new InvalidRequest(`Unable to associate floating IP ${address} to fixed IP ${target.address} for instance ${instanceUuid}. Error: ${(error as Error).message}`)
    }
  }

  /** `removeFloatingIp`: 409 unless the address is mapped to this server. */
  async disassociate(auth: AuthContext, instanceUuid: string, address: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-floating-ips:remove', 'member')
    const fip = await this.#byAddress(auth, address)
    const details = fip.port_details as { device_id?: string } | null
    if (!fip.port_id || details?.device_id !== instanceUuid) {
      throw new LifeboatError(`Floating IP ${address} is not associated with instance ${instanceUuid}.`, ServiceErrorCode.CONFLICT, 409)
    }
    await this.#deps.l3.updateFloatingIp(auth, String(fip.id), { port_id: null })
  }
}

/** The Neutron exception type of a network-service error, or null for anything else. */
function neutronType(error: unknown): string | null {
  return error instanceof LifeboatError && 'type' in error && typeof error.type === 'string' ? error.type : null
}

/** For `.catch()`: a 404 of the network service becomes `replacement()`. */
function on404(replacement: () => Error) {
  return (error: unknown): never => {
    throw error instanceof LifeboatError && error.status === 404 ? replacement() : error
  }
}
