import type { Kysely } from 'kysely'
import type { AuthContext } from '../identity/auth-context.js'
import type { Database } from '../../db/schema.js'
import type { Store } from '../store.js'
import type { ComputeServicesTable } from '../../db/tables/compute-tables.js'
import { authorize } from '../policy.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { nowIso } from '../time.js'
import { hostZones } from './aggregate-store.js'

/**
 * Nova's `service_down_time` default: a service not heard from for this long
 * is down (`compute.serviceDownSeconds` sets it). The one rule for "up":
 * `os-services`, `os-hypervisors`, zones and a server's `host_status` all read
 * it through `serviceIsUp`.
 */
export const SERVICE_DOWN_SECONDS = 60

/** The zone every Lifeboat host is in unless its service says otherwise (Nova's default_availability_zone). */
export const DEFAULT_ZONE = 'nova'

/** A compute service (one per hypervisor host) with what the API shows of it. */
export interface ComputeHost {
  row: ComputeServicesTable
  /** Nova's integer id (before 2.53): the row's 1-based rank by creation. */
  legacyId: number
  /** Heartbeat within the service down time and not forced down. */
  up: boolean
}

/** A server on a host (`os-hypervisors` `with_servers`, `/servers`). */
export interface HostedServer {
  uuid: string
  name: string
}

/** A server's `host_status` (2.16, admins): '' when it has no host. */
export type HostStatus = 'UP' | 'DOWN' | 'MAINTENANCE' | 'UNKNOWN' | ''

/** What the host's instances use, for `os-hypervisors`. */
export interface HostUsage {
  vcpusUsed: number
  memoryMbUsed: number
  localGbUsed: number
  runningVms: number
  currentWorkload: number
}

/** True when the service heart-beat recently and is not forced down (servicegroup's DB driver). */
export function serviceIsUp(row: Pick<ComputeServicesTable, 'forced_down' | 'last_seen_at'>, now = Date.now(), downSeconds = SERVICE_DOWN_SECONDS): boolean {
  if (row.forced_down) return false
  if (!row.last_seen_at) return false
  return now - Date.parse(row.last_seen_at) <= downSeconds * 1000
}

/** Every compute service, oldest first, optionally filtered like `GET /os-services?host=&binary=`. */
export async function listComputeHosts(db: Kysely<Database>, filter: { host?: string; binary?: string } = {}, downSeconds = SERVICE_DOWN_SECONDS): Promise<ComputeHost[]> {
  const rows = await db.selectFrom('compute_services').selectAll().orderBy('created_at').orderBy('id').execute()
  // A host's zone is its zone aggregate's, as Nova's get_host_availability_zone.
  const zones = await hostZones(db)
  const now = Date.now()
  return rows
    .map((row, index) => ({ row: { ...row, zone: zones.get(row.host) ?? row.zone }, legacyId: index + 1, up: serviceIsUp(row, now, downSeconds) }))
    .filter((h) => (!filter.host || h.row.host === filter.host) && (!filter.binary || h.row.binary === filter.binary))
}

/** One compute service by its uuid (2.53+) or its legacy integer id; NotFound otherwise. */
export async function findComputeHost(db: Kysely<Database>, id: string, byUuid: boolean, downSeconds = SERVICE_DOWN_SECONDS): Promise<ComputeHost | undefined> {
  return (await listComputeHosts(db, {}, downSeconds)).find((h) => (byUuid ? h.row.id === id : String(h.legacyId) === id))
}

/** The resources the live instances on each host use (root + ephemeral disk, as Nova's resource tracker counts). */
export async function hostUsages(db: Kysely<Database>): Promise<Map<string, HostUsage>> {
  const rows = await db.selectFrom('instances').select(['host', 'flavor', 'task_state']).where('deleted', '=', 0).where('host', 'is not', null).execute()
  const usage = new Map<string, HostUsage>()
  for (const row of rows) {
    const u = usage.get(row.host!) ?? { vcpusUsed: 0, memoryMbUsed: 0, localGbUsed: 0, runningVms: 0, currentWorkload: 0 }
    const flavor = JSON.parse(row.flavor) as { vcpus?: number; ram?: number; disk?: number; ephemeral?: number }
    u.vcpusUsed += flavor.vcpus ?? 0
    u.memoryMbUsed += flavor.ram ?? 0
    u.localGbUsed += (flavor.disk ?? 0) + (flavor.ephemeral ?? 0)
    u.runningVms += 1
    if (row.task_state) u.currentWorkload += 1
    usage.set(row.host!, u)
  }
  return usage
}

/** The zones a server may ask for: the default one and those of enabled hosts. */
export async function availableZones(db: Kysely<Database>): Promise<string[]> {
  const hosts = await listComputeHosts(db)
  return [...new Set([DEFAULT_ZONE, ...hosts.filter((h) => !h.row.disabled).map((h) => h.row.zone)])]
}

/** What `PUT /os-services/{id}` (2.53) or the older actions change. */
export interface ServiceChange {
  status?: 'enabled' | 'disabled'
  disabledReason?: string | null
  forcedDown?: boolean
}

/** Admin: enables/disables a compute service or forces it down; only nova-compute services. */
export async function updateComputeHost(db: Kysely<Database>, auth: AuthContext, host: ComputeHost, change: ServiceChange, downSeconds = SERVICE_DOWN_SECONDS): Promise<ComputeHost> {
  authorize(auth, 'os_compute_api:os-services:update', 'admin')
  if (host.row.binary !== 'nova-compute') {
    throw new InvalidRequest(`Updating a ${host.row.binary} service is not supported. Only nova-compute services can be updated.`)
  }
  const set: Partial<ComputeServicesTable> = { updated_at: nowIso() }
  if (change.status === 'enabled') {
    if (change.disabledReason) throw new InvalidRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.")
    set.disabled = 0
    set.disabled_reason = null
  } else if (change.status === 'disabled') {
    set.disabled = 1
    set.disabled_reason = change.disabledReason ?? null
  }
  if (change.forcedDown !== undefined) set.forced_down = change.forcedDown ? 1 : 0
  if (change.status === undefined && change.forcedDown === undefined) {
    throw new InvalidRequest("No updates were requested. Fields 'status' or 'forced_down' should be specified.")
  }
  await db.updateTable('compute_services').set(set).where('id', '=', host.row.id).execute()
  const updated = await findComputeHost(db, host.row.id, true, downSeconds)
  if (!updated) throw new NotFound(`Service ${host.row.id} could not be found.`)
  return updated
}

/** Admin: the legacy `PUT /os-services/{enable|disable|disable-log-reason|force-down}` by host and binary. */
export async function findByHostAndBinary(db: Kysely<Database>, host: string, binary: string, downSeconds = SERVICE_DOWN_SECONDS): Promise<ComputeHost> {
  if (binary !== 'nova-compute') {
    throw new InvalidRequest(`Updating a ${binary} service is not supported. Only nova-compute services can be updated.`)
  }
  const found = (await listComputeHosts(db, { host, binary }, downSeconds))[0]
  if (!found) throw new NotFound(`Could not find binary ${binary} on host ${host}.`)
  return found
}

/**
 * The compute hosts as the admin APIs see them (`os-services`,
 * `os-hypervisors`, `os-availability-zone`) and each server's `host_status`.
 */
export class ComputeHostService {
  readonly #deps: Store
  readonly #downSeconds: number

  /** `downSeconds`: Nova's `service_down_time` (`compute.serviceDownSeconds`). */
  constructor(deps: Store, downSeconds = SERVICE_DOWN_SECONDS) {
    this.#deps = deps
    this.#downSeconds = downSeconds
  }

  /** Every compute service, oldest first, optionally filtered by host and binary. */
  list(filter: { host?: string; binary?: string } = {}): Promise<ComputeHost[]> {
    return listComputeHosts(this.#deps.db, filter, this.#downSeconds)
  }

  /** One compute service by its uuid (2.53+) or its legacy integer id; undefined otherwise. */
  find(id: string, byUuid: boolean): Promise<ComputeHost | undefined> {
    return findComputeHost(this.#deps.db, id, byUuid, this.#downSeconds)
  }

  /** See `findByHostAndBinary`. */
  findByHostAndBinary(host: string, binary: string): Promise<ComputeHost> {
    return findByHostAndBinary(this.#deps.db, host, binary, this.#downSeconds)
  }

  /** See `updateComputeHost`. */
  update(auth: AuthContext, host: ComputeHost, change: ServiceChange): Promise<ComputeHost> {
    return updateComputeHost(this.#deps.db, auth, host, change, this.#downSeconds)
  }

  /** What the live instances on each host use. */
  usages(): Promise<Map<string, HostUsage>> {
    return hostUsages(this.#deps.db)
  }

  /** The live servers on each of these hosts, oldest first. */
  async serversOn(hosts: ComputeHost[]): Promise<Map<string, HostedServer[]>> {
    const rows = await this.#deps.db.selectFrom('instances').select(['uuid', 'display_name', 'host']).where('deleted', '=', 0)
      .where('host', 'in', hosts.length ? hosts.map((h) => h.row.host) : ['']).orderBy('created_at').execute()
    const byHost = new Map<string, HostedServer[]>()
    for (const r of rows) byHost.set(r.host!, [...(byHost.get(r.host!) ?? []), { uuid: r.uuid, name: r.display_name }])
    return byHost
  }

  /**
   * Nova's `host_status` of a server's host, read once per request:
   * UNKNOWN without a service, DOWN when not up, MAINTENANCE when disabled.
   */
  async hostStatus(): Promise<(host: string | null) => HostStatus> {
    const services = await this.#deps.db.selectFrom('compute_services').select(['host', 'disabled', 'last_seen_at', 'forced_down']).execute()
    const byHost = new Map(services.map((s) => [s.host, s]))
    const now = Date.now()
    return (host) => {
      if (!host) return ''
      const s = byHost.get(host)
      if (!s) return 'UNKNOWN'
      if (!serviceIsUp(s, now, this.#downSeconds)) return 'DOWN'
      return s.disabled ? 'MAINTENANCE' : 'UP'
    }
  }

  /** The zone names: the default one, then those of enabled hosts. */
  zoneNames(): Promise<string[]> {
    return availableZones(this.#deps.db)
  }
}
