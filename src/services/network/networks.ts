import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/schema.js'
import type { NetworksTable } from '../../db/tables/network-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { nowIso } from '../time.js'
import { assertOwner, canSeeNetwork, owningProject, visibleNetwork } from './network-access.js'
import { networkDict, tagsOf } from './network-dicts.js'
import { inUse, policyNotAuthorized } from './network-errors.js'
import { checkNetworkQuota } from './network-quotas.js'
import type { ResourceDict } from './resource-query.js'

/** A network's attributes as a create or update body gives them (Neutron's names). */
export interface NetworkInput {
  name?: string
  description?: string
  admin_state_up?: boolean
  shared?: boolean
  'router:external'?: boolean
  mtu?: number
  port_security_enabled?: boolean
  'provider:network_type'?: string
  'provider:physical_network'?: string | null
  'provider:segmentation_id'?: number | null
  is_default?: boolean
  availability_zone_hints?: string[]
  project_id?: string
  tenant_id?: string
}

/** Owners whose ports go with their network (Neutron's AUTO_DELETE_PORT_OWNERS). */
export const AUTO_DELETE_PORT_OWNERS = ['network:dhcp']

/** The network's dicts as `viewer` sees them, for rows already loaded. */
export async function networkDicts(db: Db, rows: NetworksTable[], auth: AuthContext): Promise<ResourceDict[]> {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const subnets = await db.selectFrom('subnets').select(['id', 'network_id']).where('network_id', 'in', ids).orderBy('created_at').orderBy('id').execute()
  const tags = await tagsOf(db, ids)
  return rows.map((row) => networkDict(row, subnets.filter((s) => s.network_id === row.id).map((s) => s.id), tags.get(row.id) ?? [], auth))
}

/** Every network the caller may read. */
export async function visibleNetworkRows(db: Db, auth: AuthContext): Promise<NetworksTable[]> {
  let query = db.selectFrom('networks').selectAll()
  if (!auth.isAdmin) {
    query = query.where((eb) => eb.or([eb('project_id', '=', auth.projectId ?? ''), eb('shared', '=', 1), eb('external', '=', 1)]))
  }
  return (await query.execute()).filter((row) => canSeeNetwork(auth, row))
}

function assertAdminAttributes(auth: AuthContext, action: 'create_network' | 'update_network', input: NetworkInput): void {
  if (auth.isAdmin) return
  for (const attribute of ['shared', 'router:external', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'is_default'] as const) {
    if (input[attribute] !== undefined) throw policyNotAuthorized(`${action}:${attribute}`)
  }
}

/** `POST /v2.0/networks`. */
export async function createNetwork(db: Db, auth: AuthContext, input: NetworkInput): Promise<NetworksTable> {
  assertAdminAttributes(auth, 'create_network', input)
  const projectId = owningProject(auth, input)
  const now = nowIso()
  const row: NetworksTable = {
    id: randomUUID(), project_id: projectId, name: input.name ?? '', description: input.description ?? '',
    admin_state_up: input.admin_state_up === false ? 0 : 1, status: 'ACTIVE', shared: input.shared ? 1 : 0,
    external: input['router:external'] ? 1 : 0, is_default: input.is_default ? 1 : 0, mtu: input.mtu ?? 1500,
    port_security_enabled: input.port_security_enabled === false ? 0 : 1, network_type: input['provider:network_type'] ?? 'local',
    revision_number: 1, created_at: now, updated_at: now,
  }
  await db.transaction().execute(async (trx) => {
    await checkNetworkQuota(trx, projectId, 'network')
    await trx.insertInto('networks').values(row).execute()
  })
  return row
}

/** `PUT /v2.0/networks/{id}`: the owner (admin attributes: admin only). */
export async function updateNetwork(db: Db, auth: AuthContext, id: string, input: NetworkInput): Promise<NetworksTable> {
  const row = await visibleNetwork(db, auth, id)
  assertOwner(auth, row, 'update_network')
  assertAdminAttributes(auth, 'update_network', input)
  const set: Partial<NetworksTable> = { updated_at: nowIso(), revision_number: row.revision_number + 1 }
  if (input.name !== undefined) set.name = input.name
  if (input.description !== undefined) set.description = input.description
  if (input.admin_state_up !== undefined) set.admin_state_up = input.admin_state_up ? 1 : 0
  if (input.shared !== undefined) set.shared = input.shared ? 1 : 0
  if (input['router:external'] !== undefined) set.external = input['router:external'] ? 1 : 0
  if (input.mtu !== undefined) set.mtu = input.mtu
  if (input.port_security_enabled !== undefined) set.port_security_enabled = input.port_security_enabled ? 1 : 0
  if (input.is_default !== undefined) set.is_default = input.is_default ? 1 : 0
  await db.updateTable('networks').set(set).where('id', '=', id).execute()
  return { ...row, ...set }
}

/**
 * `DELETE /v2.0/networks/{id}`: 409 NetworkInUse while ports other than
 * DHCP's remain; the DHCP port, the subnets and the tags go with it.
 */
export async function deleteNetwork(db: Db, auth: AuthContext, id: string): Promise<void> {
  const row = await visibleNetwork(db, auth, id)
  assertOwner(auth, row, 'delete_network')
  await db.transaction().execute(async (trx) => {
    const ports = await trx.selectFrom('ports').select(['id', 'device_owner']).where('network_id', '=', id).execute()
    if (ports.some((p) => !AUTO_DELETE_PORT_OWNERS.includes(p.device_owner))) {
      throw inUse('NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`)
    }
    const subnetIds = (await trx.selectFrom('subnets').select('id').where('network_id', '=', id).execute()).map((s) => s.id)
    const portIds = ports.map((p) => p.id)
    if (portIds.length > 0) {
      await trx.deleteFrom('ip_allocations').where('port_id', 'in', portIds).execute()
      await trx.deleteFrom('port_security_groups').where('port_id', 'in', portIds).execute()
      await trx.deleteFrom('ports').where('id', 'in', portIds).execute()
    }
    const tagged = [id, ...subnetIds, ...portIds]
    await trx.deleteFrom('network_tags').where('resource_id', 'in', tagged).execute()
    await trx.deleteFrom('subnets').where('network_id', '=', id).execute()
    await trx.deleteFrom('networks').where('id', '=', id).execute()
  })
}
