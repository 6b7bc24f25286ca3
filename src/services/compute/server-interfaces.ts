import type { ComputeDeps } from './ports.js'
import type { CallContext } from './call-context.js'
import type { ServerPort } from '../network/server-ports.js'
import { authorize } from '../policy.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { getInstanceRow, type InstanceRow } from './instance-store.js'
import { assertNotLocked, assertVmState } from './instance-guards.js'
import { VmState } from './instance-states.js'
import { planServerNics, readNetworkPlan, type NicRequest } from './server-networks.js'

/** A server's interface as `os-interface` shows it. */
export type ServerInterface = ServerPort

/** The vm_states Nova allows attach/detach in (`compute/api.py`). */
const INTERFACE_STATES = [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED, VmState.SUSPENDED]

/** What an attach request names (`interfaceAttachment`). */
export interface AttachInterfaceInput {
  netId?: string
  portId?: string
  fixedIps?: Array<{ ip_address: string }>
}

/** `GET /servers/{id}/os-interface`. */
export async function listInterfaces(deps: ComputeDeps, call: CallContext, serverId: string): Promise<ServerInterface[]> {
  const auth = authorize(call.auth, 'os_compute_api:os-attach-interfaces:list', 'reader')
  const row = await getInstanceRow(deps.db, auth, serverId)
  return deps.network.serverPorts(row.uuid)
}

/** `GET /servers/{id}/os-interface/{port_id}`: 404 when the port is not the server's. */
export async function showInterface(deps: ComputeDeps, call: CallContext, serverId: string, portId: string): Promise<ServerInterface> {
  const auth = authorize(call.auth, 'os_compute_api:os-attach-interfaces:show', 'reader')
  const row = await getInstanceRow(deps.db, auth, serverId)
  const port = (await deps.network.serverPorts(row.uuid)).find((p) => p.portId === portId)
  if (!port) throw new NotFound(`Instance ${row.uuid} does not have a port with id ${portId}`)
  return port
}

/**
 * The data plane plugs NICs when a guest starts; hot-plug into a running
 * guest is not there yet, so attach and detach need a stopped server.
 */
function assertCanChangeNics(row: InstanceRow, action: 'attach_interface' | 'detach_interface'): void {
  assertVmState(row, action, INTERFACE_STATES)
  if (row.vm_state !== VmState.STOPPED) {
    throw new InvalidRequest(action === 'attach_interface'
      ? `Attaching interfaces is not supported for instance ${row.uuid}. Stop the server first.`
      : `Detaching interfaces is not supported for instance ${row.uuid}. Stop the server first.`)
  }
}

/** `POST /servers/{id}/os-interface`: a new port on a network, or the user's port, bound to the server. */
export async function attachInterface(deps: ComputeDeps, call: CallContext, serverId: string, input: AttachInterfaceInput): Promise<ServerInterface> {
  const auth = authorize(call.auth, 'os_compute_api:os-attach-interfaces:create', 'member')
  const row = await getInstanceRow(deps.db, auth, serverId)
  assertNotLocked(auth, row)
  if (input.netId && input.portId) throw new InvalidRequest('Must not input both network_id and port_id')
  if (input.fixedIps?.length && !input.netId) throw new InvalidRequest('Must input network_id when request IP address')
  assertCanChangeNics(row, 'attach_interface')
  let nics: NicRequest[]
  if (input.portId) nics = await planServerNics(deps.network, auth, [{ port: input.portId }], 1)
  else if (input.netId) nics = await planServerNics(deps.network, auth, [{ uuid: input.netId, ...(input.fixedIps?.[0] ? { fixed_ip: input.fixedIps[0].ip_address } : {}) }], 1)
  else {
    nics = await planServerNics(deps.network, auth, 'auto', 1)
    if (nics.length === 0) throw new InvalidRequest(`No specific network was requested and none are available for project '${row.project_id}'.`)
  }
  const before = new Set((await deps.network.serverPorts(row.uuid)).map((p) => p.portId))
  const groups = await deps.db.selectFrom('instance_security_groups').select('group_id').where('instance_uuid', '=', row.uuid).execute()
  await deps.network.allocate({
    instanceUuid: row.uuid, projectId: row.project_id, host: row.host ?? '', zone: row.availability_zone ?? 'nova', securityGroups: groups.map((g) => g.group_id),
  }, nics)
  // The plan lists every NIC the server was given (user ports with their id): its views look ports up only when it has one.
  const plan = readNetworkPlan(row.networks)
  plan.nics.push(nics[0]!)
  await deps.db.updateTable('instances').set({ networks: JSON.stringify(plan) }).where('uuid', '=', row.uuid).execute()
  return (await deps.network.serverPorts(row.uuid)).find((p) => !before.has(p.portId))!
}

/** `DELETE /servers/{id}/os-interface/{port_id}`: a port Nova made is deleted, the user's port unbound. */
export async function detachInterface(deps: ComputeDeps, call: CallContext, serverId: string, portId: string): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:os-attach-interfaces:delete', 'member')
  const row = await getInstanceRow(deps.db, auth, serverId)
  assertNotLocked(auth, row)
  assertCanChangeNics(row, 'detach_interface')
  const port = (await deps.network.serverPorts(row.uuid)).find((p) => p.portId === portId)
  if (!port) throw new NotFound(`Port ${portId} could not be found.`)
  const plan = readNetworkPlan(row.networks)
  if (plan.nics.some((nic) => nic.portId === portId)) {
    await deps.db.transaction().execute(async (trx) => {
      await deps.network.unbind(trx, portId)
      const kept = { nics: plan.nics.filter((nic) => nic.portId !== portId) }
      await trx.updateTable('instances').set({ networks: JSON.stringify(kept) }).where('uuid', '=', row.uuid).execute()
    })
  } else {
    await deps.network.remove(portId)
  }
}
