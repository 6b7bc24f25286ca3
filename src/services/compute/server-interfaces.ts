import type { Db } from '../../db/schema.js'
import type { ComputeDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { ServerPort } from '../network/server-ports.js'
import { actionContext, type CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { InvalidRequest, LifeboatError, NotFound } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'
import { getInstanceRow, type InstanceRow } from './instance-store.js'
import { assertNotLocked, assertVmState, guardInstance } from './instance-guards.js'
import { InstanceInvalidState, InterfaceAttachFailed } from './compute-errors.js'
import { finishAction, finishActionEvent, recordAction, startActionEvent } from './instance-actions.js'
import { deallocatePort } from './task-results.js'
import { VmState } from './instance-states.js'
import { nowIso } from '../time.js'
import { planServerNics, readNetworkPlan, type NicRequest } from './server-networks.js'

/** A server's interface as `os-interface` shows it. */
export type ServerInterface = ServerPort

/** The vm_states Nova allows attach/detach in, with no task running (`compute/api.py` `attach_interface`/`detach_interface`). */
const INTERFACE_STATES = [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED]

/** How long an attach waits for the host (Nova's attach is an RPC call, which times out after `rpc_response_timeout`, 60 s). */
const ATTACH_WAIT_MS = 60_000

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
 * `POST /servers/{id}/os-interface`: a new port on a network, or the user's
 * port, bound to the server; in the same transaction the instance action
 * and, for a server whose guest runs (or is paused), the `attach_interface`
 * task that plugs the NIC into it (a stopped server gets it at its next
 * boot). Like Nova's RPC call, the answer waits for the host: a NIC it could
 * not plug is given back (the port deleted or unbound), and the answer is
 * Nova's 500.
 */
export async function attachInterface(deps: ComputeDeps, tasks: TaskQueue, call: CallContext, serverId: string, input: AttachInterfaceInput): Promise<ServerInterface> {
  const auth = authorize(call.auth, 'os_compute_api:os-attach-interfaces:create', 'member')
  const row = await getInstanceRow(deps.db, auth, serverId)
  if (input.netId && input.portId) throw new InvalidRequest('Must not input both network_id and port_id')
  if (input.fixedIps?.length && !input.netId) throw new InvalidRequest('Must input network_id when request IP address')
  assertNotLocked(auth, row)
  assertVmState(row, 'attach_interface', INTERFACE_STATES)
  let nics: NicRequest[]
  if (input.portId) nics = await planServerNics(deps.network, auth, [{ port: input.portId }], 1)
  else if (input.netId) nics = await planServerNics(deps.network, auth, [{ uuid: input.netId, ...(input.fixedIps?.[0] ? { fixed_ip: input.fixedIps[0].ip_address } : {}) }], 1)
  else {
    nics = await planServerNics(deps.network, auth, 'auto', 1)
    if (nics.length === 0) throw new InvalidRequest(`No specific network was requested and none are available for project '${row.project_id}'.`)
  }
  const nic = nics[0]!
  const live = row.vm_state !== VmState.STOPPED
  const groups = await deps.db.selectFrom('instance_security_groups').select('group_id').where('instance_uuid', '=', row.uuid).execute()
  const { portId, taskId } = await deps.db.transaction().execute(async (trx) => {
    await holdState(trx, row, 'attach_interface')
    const created = await deps.network.allocateIn(trx, {
      instanceUuid: row.uuid, projectId: row.project_id, host: row.host ?? '', zone: row.availability_zone ?? 'nova', securityGroups: groups.map((g) => g.group_id),
    }, [nic])
    // The plan lists every NIC the server was given (user ports with their id): its views look ports up only when it has one.
    const fresh = await trx.selectFrom('instances').select('networks').where('uuid', '=', row.uuid).executeTakeFirstOrThrow()
    const plan = readNetworkPlan(fresh.networks)
    plan.nics.push(nic)
    await trx.updateTable('instances').set({ networks: JSON.stringify(plan) }).where('uuid', '=', row.uuid).execute()
    const port = nic.portId ?? created[0]!
    const actionId = await recordAction(trx, row.uuid, 'attach_interface', actionContext(call))
    if (!live) {
      await finishedByControlPlane(trx, actionId, 'compute_attach_interface', row.host)
      return { portId: port, taskId: null }
    }
    return { portId: port, taskId: await tasks.enqueue(trx, { instanceUuid: row.uuid, host: row.host, actionId, task: { kind: 'attach_interface', portId: port } }) }
  })
  if (taskId === null) return (await deps.network.serverPorts(row.uuid)).find((p) => p.portId === portId)!
  tasks.notify(row.host)
  const done = await tasks.waitFor(taskId, ATTACH_WAIT_MS)
  // The task goes on: its result plugs the NIC or gives the port back.
  if (!done) throw new LifeboatError('The compute agent did not answer in time.', ServiceErrorCode.AGENT_TIMEOUT, 504)
  const port = done.status === 'done' ? (await deps.network.serverPorts(row.uuid)).find((p) => p.portId === portId) : undefined
  if (!port) throw new InterfaceAttachFailed(row.uuid)
  return port
}

/**
 * `DELETE /servers/{id}/os-interface/{port_id}`: 202 at once; for a server
 * whose guest runs (or is paused) the host unplugs the NIC
 * (`detach_interface`), and once the guest let it go the task's result
 * deletes a port Nova made and unbinds the user's. A guest that keeps it
 * fails the action and the port stays attached (Nova's
 * InterfaceDetachFailed). A stopped server's port is released at once.
 */
export async function detachInterface(deps: ComputeDeps, tasks: TaskQueue, call: CallContext, serverId: string, portId: string): Promise<void> {
  const { instance: row } = await guardInstance(deps.db, call, serverId, { policy: 'os_compute_api:os-attach-interfaces:delete', action: 'detach_interface', vmStates: INTERFACE_STATES })
  const port = (await deps.network.serverPorts(row.uuid)).find((p) => p.portId === portId)
  if (!port) throw new NotFound(`Port ${portId} could not be found.`)
  const live = row.vm_state !== VmState.STOPPED
  await deps.db.transaction().execute(async (trx) => {
    await holdState(trx, row, 'detach_interface')
    const actionId = await recordAction(trx, row.uuid, 'detach_interface', actionContext(call))
    if (live) {
      await tasks.enqueue(trx, { instanceUuid: row.uuid, host: row.host, actionId, task: { kind: 'detach_interface', portId } })
      return
    }
    await deallocatePort(trx, deps, row.uuid, portId)
    await finishedByControlPlane(trx, actionId, 'compute_detach_interface', row.host)
  })
  if (live) tasks.notify(row.host)
}

/**
 * A stopped server has no NIC plugged: its next boot reads the ports, so the
 * control plane makes the change alone and records the action's event as
 * done, where Nova's compute would have updated the domain's definition.
 */
async function finishedByControlPlane(trx: Db, actionId: string, event: string, host: string | null): Promise<void> {
  await finishActionEvent(trx, await startActionEvent(trx, actionId, event, host), 'Success')
  await finishAction(trx, actionId, 'Success')
}

/**
 * First in the change's transaction: the server is still in the state that
 * was checked, no task under way (a compare-and-set, which also holds its row
 * until the commit, so a start accepted meanwhile boots with the ports as
 * this change leaves them).
 */
async function holdState(trx: Db, row: InstanceRow, action: string): Promise<void> {
  const held = await trx.updateTable('instances').set({ updated_at: nowIso() })
    .where('uuid', '=', row.uuid).where('vm_state', '=', row.vm_state).where('task_state', 'is', null).where('deleted', '=', 0).executeTakeFirst()
  if (Number(held.numUpdatedRows) === 1) return
  const fresh = await trx.selectFrom('instances').select(['vm_state', 'task_state']).where('uuid', '=', row.uuid).executeTakeFirst()
  if (fresh?.task_state) throw new InstanceInvalidState(action, row.uuid, 'task_state', fresh.task_state)
  throw new InstanceInvalidState(action, row.uuid, 'vm_state', fresh?.vm_state ?? 'deleted')
}
