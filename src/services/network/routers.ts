import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/schema.js'
import type { NetworksTable, RoutersTable, SubnetsTable } from '../../db/tables/network-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { nowIso } from '../time.js'
import { cidrContains, parseIpv4, parseIpv4Cidr } from '../../util/ipv4.js'
import { assertOwner, owningProject, visibleNetwork } from './network-access.js'
import { badRequestOf, conflict, inUse, NeutronError, NetworkErrorCode, policyNotAuthorized } from './network-errors.js'
import { checkNetworkQuota } from './network-quotas.js'
import { insertPort, removePort, type FixedIpRequest } from './network-ports.js'
import { badL3Request, ROUTER_GATEWAY_OWNER, ROUTER_INTERFACE_OWNER } from './l3-dicts.js'
import { checkForDupRouterSubnets } from './router-subnets.js'

/** `external_gateway_info` as a body gives it. */
export interface GatewayInfo {
  network_id?: string
  enable_snat?: boolean
  external_fixed_ips?: FixedIpRequest[]
}

/** A router's attributes as a create or update body gives them. */
export interface RouterInput {
  name?: string
  description?: string
  admin_state_up?: boolean
  external_gateway_info?: GatewayInfo | null
  /** null clears the routes (extraroute's convert_none_to_empty_list). */
  routes?: Array<{ destination: string; nexthop: string }> | null
  project_id?: string
  tenant_id?: string
}

/** Neutron's `max_routes` (extraroute). */
const MAX_ROUTES = 30

/** 404 RouterNotFound, Neutron's text (no final period). */
export function routerNotFound(id: string): NeutronError {
  return new NeutronError('RouterNotFound', `Router ${id} could not be found`, 404, NetworkErrorCode.NOT_FOUND)
}

/** A router the caller may read (its own; all for an admin), else 404. */
export async function visibleRouter(db: Db, auth: AuthContext, id: string): Promise<RoutersTable> {
  const row = await db.selectFrom('routers').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || !(auth.isAdmin || row.project_id === auth.projectId)) throw routerNotFound(id)
  return row
}

/** Every router the caller may read. */
export async function visibleRouterRows(db: Db, auth: AuthContext): Promise<RoutersTable[]> {
  let query = db.selectFrom('routers').selectAll()
  if (!auth.isAdmin) query = query.where('project_id', '=', auth.projectId ?? '')
  return query.execute()
}

/** Neutron's default policy: SNAT and fixed gateway addresses are the admin's to choose. */
function assertGatewayPolicy(auth: AuthContext, action: 'create_router' | 'update_router', info: GatewayInfo | null | undefined): void {
  if (!info || auth.isAdmin) return
  if (info.enable_snat !== undefined) throw policyNotAuthorized(`${action}:external_gateway_info:enable_snat`)
  if (info.external_fixed_ips !== undefined) throw policyNotAuthorized(`${action}:external_gateway_info:external_fixed_ips`)
}

async function floatingIpsNeedGateway(trx: Db, router: RoutersTable, networkId: string): Promise<void> {
  const fip = await trx.selectFrom('floating_ips').select('id').where('router_id', '=', router.id).where('fixed_port_id', 'is not', null).executeTakeFirst()
  if (fip) {
    throw inUse('RouterExternalGatewayInUseByFloatingIp',
      `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${networkId} is required by one or more floating IPs.`)
  }
}

/**
 * Sets, changes or clears a router's gateway (a port on an external network,
 * device_owner network:router_gateway). Changing its network or clearing it
 * is refused while floating IPs use the router.
 */
async function applyGateway(trx: Db, auth: AuthContext, router: RoutersTable, info: GatewayInfo | null): Promise<Partial<RoutersTable>> {
  const current = router.gw_port_id ? await trx.selectFrom('ports').select(['id', 'network_id']).where('id', '=', router.gw_port_id).executeTakeFirst() : undefined
  const wanted = info && info.network_id ? info.network_id : null
  if (current && wanted === current.network_id && info?.external_fixed_ips === undefined) {
    return info?.enable_snat === undefined ? {} : { enable_snat: info.enable_snat ? 1 : 0 }
  }
  if (current) {
    await floatingIpsNeedGateway(trx, router, current.network_id)
    await trx.updateTable('routers').set({ gw_port_id: null }).where('id', '=', router.id).execute()
    await removePort(trx, current.id)
  }
  if (!wanted) return { gw_port_id: null, enable_snat: 1 }
  const network = await visibleNetwork(trx, auth, wanted)
  if (network.external !== 1) throw badL3Request('router', `Network ${wanted} is not an external network`)
  // After the old gateway port is gone, as Neutron's `_create_gw_port` checks it: every subnet of the new network against the interfaces'.
  await checkForDupRouterSubnets(trx, router.id, await trx.selectFrom('subnets').select(['id', 'cidr']).where('network_id', '=', network.id).orderBy('created_at').execute())
  const port = await insertPort(trx, {
    network, projectId: '', deviceOwner: ROUTER_GATEWAY_OWNER, deviceId: router.id, fixedIps: info?.external_fixed_ips,
    securityGroups: [], portSecurityEnabled: false, status: 'ACTIVE', hostId: 'lifeboat',
  })
  return { gw_port_id: port.id, enable_snat: info?.enable_snat === false ? 0 : 1 }
}

/** extraroute: at most 30 routes, each nexthop inside a subnet the router has an interface on. */
async function checkRoutes(trx: Db, routerId: string, routes: Array<{ destination: string; nexthop: string }>): Promise<void> {
  if (routes.length > MAX_ROUTES) {
    throw badRequestOf('RoutesExhausted', `Unable to complete operation for ${routerId}. The number of routes exceeds the maximum ${MAX_ROUTES}.`)
  }
  const subnets = await trx.selectFrom('ports').innerJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id').innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
    .select(['subnets.cidr', 'ip_allocations.ip_address']).where('ports.device_id', '=', routerId).where('ports.device_owner', '=', ROUTER_INTERFACE_OWNER).execute()
  const text = `[${routes.map((r) => `{'destination': '${r.destination}', 'nexthop': '${r.nexthop}'}`).join(', ')}]`
  for (const route of routes) {
    const nexthop = parseIpv4(route.nexthop)
    if (nexthop === null || !parseIpv4Cidr(route.destination)) {
      throw badRequestOf('InvalidRoutes', `Invalid format for routes: ${text}, the nexthop is not connected with router`)
    }
    if (subnets.some((s) => s.ip_address === route.nexthop)) throw badRequestOf('InvalidRoutes', `Invalid format for routes: ${text}, the nexthop is used by router`)
    if (!subnets.some((s) => cidrContains(parseIpv4Cidr(s.cidr)!, nexthop))) {
      throw badRequestOf('InvalidRoutes', `Invalid format for routes: ${text}, the nexthop is not connected with router`)
    }
  }
}

/** `POST /v2.0/routers`: quota `router`; an optional gateway. */
export async function createRouter(db: Db, auth: AuthContext, input: RouterInput): Promise<string> {
  const projectId = owningProject(auth, input)
  assertGatewayPolicy(auth, 'create_router', input.external_gateway_info)
  const now = nowIso()
  const row: RoutersTable = {
    id: randomUUID(), project_id: projectId, name: input.name ?? '', description: input.description ?? '', admin_state_up: input.admin_state_up === false ? 0 : 1,
    status: 'ACTIVE', gw_port_id: null, enable_snat: 1, routes: '[]', revision_number: 1, created_at: now, updated_at: now,
  }
  await db.transaction().execute(async (trx) => {
    await checkNetworkQuota(trx, projectId, 'router')
    await trx.insertInto('routers').values(row).execute()
    if (input.external_gateway_info) {
      const set = await applyGateway(trx, auth, row, input.external_gateway_info)
      await trx.updateTable('routers').set(set).where('id', '=', row.id).execute()
    }
  })
  return row.id
}

/** `PUT /v2.0/routers/{id}`: name, description, state, gateway (null or {} clears it), routes. */
export async function updateRouter(db: Db, auth: AuthContext, id: string, input: RouterInput): Promise<void> {
  const row = await visibleRouter(db, auth, id)
  assertOwner(auth, row, 'update_router')
  assertGatewayPolicy(auth, 'update_router', input.external_gateway_info)
  const set: Partial<RoutersTable> = { updated_at: nowIso(), revision_number: row.revision_number + 1 }
  if (input.name !== undefined) set.name = input.name
  if (input.description !== undefined) set.description = input.description
  if (input.admin_state_up !== undefined) set.admin_state_up = input.admin_state_up ? 1 : 0
  await db.transaction().execute(async (trx) => {
    if (input.routes !== undefined) {
      const routes = input.routes ?? []
      await checkRoutes(trx, id, routes)
      set.routes = JSON.stringify(routes)
    }
    if (input.external_gateway_info !== undefined) Object.assign(set, await applyGateway(trx, auth, row, input.external_gateway_info))
    await trx.updateTable('routers').set(set).where('id', '=', id).execute()
  })
}

/** `DELETE /v2.0/routers/{id}`: 409 RouterInUse while interfaces remain; the gateway port goes with it. */
export async function deleteRouter(db: Db, auth: AuthContext, id: string): Promise<void> {
  const row = await visibleRouter(db, auth, id)
  assertOwner(auth, row, 'delete_router')
  await db.transaction().execute(async (trx) => {
    const attached = await trx.selectFrom('ports').select('id').where('device_id', '=', id).where('device_owner', '=', ROUTER_INTERFACE_OWNER).orderBy('id').execute()
    if (attached.length) throw inUse('RouterInUse', `Router ${id} has ports still attached: ${attached.map((p) => p.id).join(', ')}`)
    const fip = await trx.selectFrom('floating_ips').select('id').where('router_id', '=', id).executeTakeFirst()
    if (fip) throw conflict('RouterInUse', `Router ${id} still has ports`)
    await trx.updateTable('routers').set({ gw_port_id: null }).where('id', '=', id).execute()
    if (row.gw_port_id) await removePort(trx, row.gw_port_id)
    await trx.deleteFrom('network_tags').where('resource_id', '=', id).execute()
    await trx.deleteFrom('routers').where('id', '=', id).execute()
  })
}

/**
 * A router made without a request (the first-start topology's `router1`):
 * its gateway on `external`, an interface at `subnet`'s gateway address.
 */
export async function insertConnectedRouter(trx: Db, input: { projectId: string; name: string; external: NetworksTable; subnet: SubnetsTable }): Promise<string> {
  const now = nowIso()
  const row: RoutersTable = {
    id: randomUUID(), project_id: input.projectId, name: input.name, description: '', admin_state_up: 1, status: 'ACTIVE', gw_port_id: null,
    enable_snat: 1, routes: '[]', revision_number: 1, created_at: now, updated_at: now,
  }
  await trx.insertInto('routers').values(row).execute()
  const gateway = await insertPort(trx, {
    network: input.external, projectId: '', deviceOwner: ROUTER_GATEWAY_OWNER, deviceId: row.id, securityGroups: [], portSecurityEnabled: false, status: 'ACTIVE', hostId: 'lifeboat',
  })
  await trx.updateTable('routers').set({ gw_port_id: gateway.id }).where('id', '=', row.id).execute()
  const network = await trx.selectFrom('networks').selectAll().where('id', '=', input.subnet.network_id).executeTakeFirstOrThrow()
  const port = await insertPort(trx, {
    network, projectId: input.subnet.project_id, deviceOwner: ROUTER_INTERFACE_OWNER, deviceId: row.id, status: 'ACTIVE', hostId: 'lifeboat',
    fixedIps: [], securityGroups: [], portSecurityEnabled: false,
  })
  await trx.insertInto('ip_allocations').values({ port_id: port.id, subnet_id: input.subnet.id, network_id: network.id, ip_address: input.subnet.gateway_ip! }).execute()
  return row.id
}
