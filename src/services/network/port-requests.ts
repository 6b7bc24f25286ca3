import type { Db } from '../../db/schema.js'
import type { PortsTable } from '../../db/tables/network-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { nowIso } from '../time.js'
import { assertOwner, owningProject, visibleNetwork } from './network-access.js'
import { portDict, portExtras } from './network-dicts.js'
import { badRequest, inUse, notFound, policyNotAuthorized } from './network-errors.js'
import { checkNetworkQuota } from './network-quotas.js'
import { insertPort, removePort, SERVICE_PORT_OWNERS, vifTypeFor, writeFixedIps, type FixedIpRequest, type PortSecurityGroupsHook } from './network-ports.js'
import type { ResourceDict } from './resource-query.js'

/** A port's attributes as a create or update body gives them (Neutron's names). */
export interface PortInput {
  network_id?: string
  name?: string
  description?: string
  admin_state_up?: boolean
  mac_address?: string
  fixed_ips?: FixedIpRequest[]
  device_id?: string
  device_owner?: string
  security_groups?: string[]
  port_security_enabled?: boolean
  allowed_address_pairs?: unknown[]
  dns_name?: string
  'binding:host_id'?: string
  'binding:vnic_type'?: string
  'binding:profile'?: Record<string, unknown>
  project_id?: string
  tenant_id?: string
}

/** Port dicts of loaded rows, as the caller sees them. */
export async function portDicts(db: Db, rows: PortsTable[], auth: AuthContext): Promise<ResourceDict[]> {
  const extras = await portExtras(db, rows.map((r) => r.id))
  return rows.map((row) => portDict(row, extras.get(row.id)!, auth))
}

/** Every port the caller may read: its own, and (Neutron's network-owner rule) every port on its networks. */
export async function visiblePortRows(db: Db, auth: AuthContext, filters: { deviceId?: string; networkId?: string } = {}): Promise<PortsTable[]> {
  let query = db.selectFrom('ports').innerJoin('networks', 'networks.id', 'ports.network_id').selectAll('ports')
  if (!auth.isAdmin) query = query.where((eb) => eb.or([eb('ports.project_id', '=', auth.projectId ?? ''), eb('networks.project_id', '=', auth.projectId ?? '')]))
  // Cheap pre-filters for the frequent lookups (`?device_id=` on every Nova rescue, per the facts page).
  if (filters.deviceId !== undefined) query = query.where('ports.device_id', '=', filters.deviceId)
  if (filters.networkId !== undefined) query = query.where('ports.network_id', '=', filters.networkId)
  return query.orderBy('ports.created_at').execute()
}

/** A port the caller may read, else 404 PortNotFound. */
export async function visiblePort(db: Db, auth: AuthContext, id: string): Promise<PortsTable> {
  const row = await db.selectFrom('ports').innerJoin('networks', 'networks.id', 'ports.network_id').selectAll('ports').select('networks.project_id as network_project')
    .where('ports.id', '=', id).executeTakeFirst()
  if (!row || !(auth.isAdmin || row.project_id === auth.projectId || row.network_project === auth.projectId)) throw notFound('Port', id)
  const { network_project: _, ...port } = row
  return port
}

function assertBindingAttributes(auth: AuthContext, action: 'create_port' | 'update_port', input: PortInput): void {
  if (auth.isAdmin) return
  for (const attribute of ['binding:host_id', 'binding:profile'] as const) if (input[attribute] !== undefined) throw policyNotAuthorized(`${action}:${attribute}`)
  if (action === 'update_port' && input.mac_address !== undefined) throw policyNotAuthorized('update_port:mac_address')
}

function assertNoAddressPairs(input: PortInput): void {
  if (input.allowed_address_pairs !== undefined && input.allowed_address_pairs.length > 0) throw badRequest('Allowed address pairs are not supported by Lifeboat.')
}

/**
 * `POST /v2.0/ports`: on a network the caller owns or that is shared (an
 * external network it does not own: 403), within the port quota.
 */
export async function createPort(db: Db, auth: AuthContext, groups: PortSecurityGroupsHook, input: PortInput): Promise<PortsTable> {
  if (input.network_id === undefined) throw badRequest("Failed to parse request. Required attribute 'network_id' not specified")
  const network = await visibleNetwork(db, auth, input.network_id)
  if (!auth.isAdmin && network.project_id !== auth.projectId && network.shared !== 1) throw policyNotAuthorized('create_port')
  assertBindingAttributes(auth, 'create_port', input)
  assertNoAddressPairs(input)
  const projectId = owningProject(auth, input)
  const portSecurityEnabled = input.port_security_enabled ?? network.port_security_enabled === 1
  if (!portSecurityEnabled && (input.security_groups?.length ?? 0) > 0) {
    throw badRequest('Port security must be enabled and port must have an IP address in order to use security groups.')
  }
  return db.transaction().execute(async (trx) => {
    await checkNetworkQuota(trx, projectId, 'port')
    const securityGroups = portSecurityEnabled ? await groups(trx, { projectId, requested: input.security_groups, portSecurityEnabled }) : []
    return insertPort(trx, {
      network, projectId, name: input.name, description: input.description, adminStateUp: input.admin_state_up, macAddress: input.mac_address,
      deviceId: input.device_id, deviceOwner: input.device_owner, hostId: input['binding:host_id'], vnicType: input['binding:vnic_type'],
      profile: input['binding:profile'], fixedIps: input.fixed_ips, securityGroups, portSecurityEnabled, dnsName: input.dns_name,
    })
  })
}

/** `PUT /v2.0/ports/{id}`: the owner; `fixed_ips` replaces the addresses; binding attributes are the admin's. */
export async function updatePort(db: Db, auth: AuthContext, groups: PortSecurityGroupsHook, id: string, input: PortInput): Promise<PortsTable> {
  const row = await visiblePort(db, auth, id)
  assertOwner(auth, row, 'update_port')
  assertBindingAttributes(auth, 'update_port', input)
  assertNoAddressPairs(input)
  const set: Partial<PortsTable> = { updated_at: nowIso(), revision_number: row.revision_number + 1 }
  if (input.name !== undefined) set.name = input.name
  if (input.description !== undefined) set.description = input.description
  if (input.admin_state_up !== undefined) set.admin_state_up = input.admin_state_up ? 1 : 0
  if (input.device_id !== undefined) set.device_id = input.device_id
  if (input.device_owner !== undefined) set.device_owner = input.device_owner
  if (input.dns_name !== undefined) set.dns_name = input.dns_name
  if (input['binding:vnic_type'] !== undefined) set.binding_vnic_type = input['binding:vnic_type']
  if (input['binding:profile'] !== undefined) set.binding_profile = JSON.stringify(input['binding:profile'] ?? {})
  if (input['binding:host_id'] !== undefined) {
    set.binding_host_id = input['binding:host_id'] ?? ''
    set.binding_vif_type = vifTypeFor(set.binding_host_id)
  }
  if (input.port_security_enabled !== undefined) set.port_security_enabled = input.port_security_enabled ? 1 : 0
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('port_security_groups').select('security_group_id').where('port_id', '=', id).execute()
    const enabled = (set.port_security_enabled ?? row.port_security_enabled) === 1
    const wantedGroups = input.security_groups !== undefined ? input.security_groups : current.map((c) => c.security_group_id)
    if (!enabled && wantedGroups.length > 0) {
      throw inUse('PortSecurityAndIPRequiredForSecurityGroups', 'Port has security group associated. Cannot disable port security or ip address until security group is removed')
    }
    if (input.mac_address !== undefined && input.mac_address.toLowerCase() !== row.mac_address) {
      if (row.binding_vif_type !== 'unbound') throw inUse('PortBound', `Unable to complete operation on port ${id}, port is already bound, port type: ${row.binding_vif_type}, old_mac ${row.mac_address}, new_mac ${input.mac_address}.`)
      const taken = await trx.selectFrom('ports').select('id').where('network_id', '=', row.network_id).where('mac_address', '=', input.mac_address.toLowerCase()).executeTakeFirst()
      if (taken) throw inUse('MacAddressInUse', `Unable to complete operation for network ${row.network_id}. The mac address ${input.mac_address} is in use.`)
      set.mac_address = input.mac_address.toLowerCase()
    }
    if (input.security_groups !== undefined) {
      const chosen = enabled ? await groups(trx, { projectId: row.project_id, requested: input.security_groups, portSecurityEnabled: true }) : []
      await trx.deleteFrom('port_security_groups').where('port_id', '=', id).execute()
      for (const groupId of chosen) await trx.insertInto('port_security_groups').values({ port_id: id, security_group_id: groupId }).execute()
    }
    if (input.fixed_ips !== undefined) {
      const network = await trx.selectFrom('networks').selectAll().where('id', '=', row.network_id).executeTakeFirstOrThrow()
      await trx.deleteFrom('ip_allocations').where('port_id', '=', id).execute()
      await writeFixedIps(trx, { id, network }, input.fixed_ips)
    }
    await trx.updateTable('ports').set(set).where('id', '=', id).execute()
    return { ...row, ...set }
  })
}

/** `DELETE /v2.0/ports/{id}`: the owner; router and floating-IP ports only through their own APIs (409 ServicePortInUse). */
export async function deletePort(db: Db, auth: AuthContext, id: string): Promise<void> {
  const row = await visiblePort(db, auth, id)
  assertOwner(auth, row, 'delete_port')
  if (SERVICE_PORT_OWNERS.includes(row.device_owner)) {
    throw inUse('ServicePortInUse', `Port ${id} cannot be deleted directly via the port API: has device owner ${row.device_owner}.`)
  }
  await db.transaction().execute((trx) => removePort(trx, id))
}
