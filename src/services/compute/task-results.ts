import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { TaskResultDeps } from './ports.js'
import type { Task, TaskReport } from '../../agent-api/index.js'
import type { InstanceRow, RescueRecord } from './instance-store.js'
import { TaskState, VmState } from './instance-states.js'
import { finishAction } from './instance-actions.js'
import { nowIso } from '../time.js'
import { readNetworkPlan, userPortIds } from './server-networks.js'
import { applyResizeResult, endMigrationsOfDeleted, isResizeTask } from './resize-results.js'
import { applyShelveTaskResult, isShelveTask } from './shelve-results.js'
import { finishEvacuation } from './evacuate-placement.js'

type Trx = Transaction<Database>

/** Work to do after the transaction commits (volume and image calls, which have their own). */
export type AfterCommit = Array<() => Promise<void>>


/** Tasks that run beside the server's task_state (Nova sets none for them): their end leaves it alone. */
const OWN_NO_TASK_STATE = new Set<Task['kind']>(['attach_volume', 'detach_volume', 'attach_interface', 'detach_interface', 'trigger_crash_dump'])

/** The vm_state a successful task leaves (null: unchanged). */
const SUCCESS_VM_STATE: Partial<Record<Task['kind'], string>> = {
  spawn: VmState.ACTIVE, power_off: VmState.STOPPED, power_on: VmState.ACTIVE, reboot: VmState.ACTIVE,
  pause: VmState.PAUSED, unpause: VmState.ACTIVE, suspend: VmState.SUSPENDED, resume: VmState.ACTIVE,
  rescue: VmState.RESCUED, unrescue: VmState.ACTIVE, soft_delete: VmState.SOFT_DELETED, restore: VmState.ACTIVE,
}

/** A fault: the user's message, and the full error in `details` (which Nova shows admins only for a 500). */
export async function addFault(trx: Trx, instanceUuid: string, message: string, details = '', code = 500): Promise<void> {
  await trx.insertInto('instance_faults').values({ id: randomUUID(), instance_uuid: instanceUuid, code, message, details, created_at: nowIso() }).execute()
}

/**
 * Applies an agent's report to the instance, inside the finishing
 * transaction. Failures leave a consistent state: a failed build is ERROR
 * with a fault; a failed rescue goes back to the state it had (never ERROR);
 * other failures only clear the task_state, like Nova's `reverts_task_state`.
 */
export async function applyTaskResult(
  trx: Trx, deps: TaskResultDeps, instance: InstanceRow, task: Task, actionId: string | null, report: TaskReport, after: AfterCommit,
): Promise<void> {
  const now = nowIso()
  const set: Partial<InstanceRow> = { updated_at: now }
  if (report.powerState !== undefined) set.power_state = report.powerState
  const deleting = instance.task_state === TaskState.DELETING && task.kind !== 'destroy'
  if (task.kind === 'console_output') return
  // Not a user action: the instance's states stay as they are (another action may be under way).
  if (task.kind === 'network_changed') {
    if (!report.ok) deps.log.warn({ server: instance.uuid, code: report.code }, `the network of server ${instance.uuid} could not be updated: ${report.error ?? 'unknown error'}`)
    return
  }
  if (deleting) {
    await trx.updateTable('instances').set(set).where('uuid', '=', instance.uuid).execute()
    if (actionId) await finishAction(trx, actionId, report.ok ? 'Success' : 'Error', report.error)
    return
  }
  if (isShelveTask(task)) return applyShelveTaskResult(trx, deps, instance, task, actionId, report, after)
  if (task.kind === 'rebuild') await finishEvacuation(trx, instance.uuid, report.ok)
  if (report.ok) {
    const vmState = SUCCESS_VM_STATE[task.kind]
    if (vmState) set.vm_state = vmState
    if (!OWN_NO_TASK_STATE.has(task.kind)) set.task_state = null
    if (task.kind === 'spawn') set.launched_at = now
    if (task.kind === 'rescue') {
      const previous = instance.rescue ? (JSON.parse(instance.rescue) as RescueRecord) : null
      // The image and mode were recorded when the rescue was accepted; the rescue starts now.
      if (previous) set.rescue = JSON.stringify({ ...previous, startedAt: now })
    }
    if (task.kind === 'unrescue') set.rescue = null
    // Nova's `_do_rebuild_instance`: a stopped server is stopped again, any other comes back ACTIVE.
    if (task.kind === 'rebuild') Object.assign(set, { vm_state: task.previousVmState === VmState.STOPPED ? VmState.STOPPED : VmState.ACTIVE, launched_at: now })
    // An evacuated rescued server was rescued again on its new host (beyond Nova).
    if (task.kind === 'rebuild' && task.rescue) set.vm_state = VmState.RESCUED
    if (task.kind === 'destroy') {
      Object.assign(set, { vm_state: VmState.DELETED, task_state: null, deleted: 1, deleted_at: now, terminated_at: now })
      await releasePorts(trx, deps, instance)
      after.push(() => finalizeDeletion(deps, instance.uuid))
    }
    if (task.kind === 'attach_volume') after.push(() => completeVolumeAttach(deps, task.bdmId, instance))
    if (task.kind === 'detach_volume') await dropMapping(trx, deps, task.bdmId, after)
    if (task.kind === 'detach_interface') await deallocatePort(trx, deps, instance.uuid, task.portId)
  } else {
    if (!task.kind.endsWith('_interface')) set.task_state = null
    const reason = report.error ?? 'unknown error'
    if (task.kind === 'spawn' || task.kind === 'destroy' || task.kind === 'rebuild') {
      set.vm_state = VmState.ERROR
      await addFault(trx, instance.uuid, reason, report.detail)
    }
    if (task.kind === 'rescue') {
      // Never worse off: a failed rescue returns to where the server was.
      set.vm_state = task.previousVmState
      set.rescue = null
    }
    if (task.kind === 'snapshot') after.push(() => deps.images.killImage(task.imageId))
    if (task.kind === 'detach_volume') {
      const bdm = await trx.selectFrom('block_device_mappings').select(['volume_id']).where('id', '=', task.bdmId).executeTakeFirst()
      if (bdm?.volume_id) after.push(() => deps.volumes.rollDetaching(bdm.volume_id!))
    }
    if (task.kind === 'attach_volume') await dropMapping(trx, deps, task.bdmId, after)
    // Nova's `_deallocate_port_for_instance` after a failed plug; a failed unplug keeps the port as it was.
    if (task.kind === 'attach_interface') await deallocatePort(trx, deps, instance.uuid, task.portId)
  }
  if (isResizeTask(task)) await applyResizeResult(trx, deps, instance, task, report, set, after)
  await trx.updateTable('instances').set(set).where('uuid', '=', instance.uuid).execute()
  const portStatus = portStatusAfter(set.vm_state ?? instance.vm_state)
  if (portStatus && task.kind !== 'destroy') await deps.network.setStatus(trx, instance.uuid, portStatus)
  if (actionId) await finishAction(trx, actionId, report.ok ? 'Success' : 'Error', report.ok ? undefined : report.error, report.ok ? undefined : report.detail)
}

/**
 * A server's ports are ACTIVE while its guest runs (a paused guest keeps its
 * VIF plugged) and DOWN when it is gone (stopped, suspended, failed): what
 * Neutron's agent reports when the tap appears or vanishes.
 */
function portStatusAfter(vmState: string): 'ACTIVE' | 'DOWN' | null {
  if ([VmState.ACTIVE, VmState.RESCUED, VmState.PAUSED].includes(vmState as never)) return 'ACTIVE'
  if ([VmState.STOPPED, VmState.SUSPENDED, VmState.ERROR].includes(vmState as never)) return 'DOWN'
  return null
}

/**
 * Nova's `_deallocate_port_for_instance`, in the task result's transaction:
 * the user's port (an entry of the plan with its id) is unbound and leaves
 * the plan; a port Nova made is deleted. A port no longer bound to the
 * server (already deallocated) is left alone.
 */
export async function deallocatePort(trx: Trx, deps: Pick<TaskResultDeps, 'network'>, instanceUuid: string, portId: string): Promise<void> {
  const port = await trx.selectFrom('ports').select('device_id').where('id', '=', portId).executeTakeFirst()
  if (port?.device_id !== instanceUuid) return
  const row = await trx.selectFrom('instances').select('networks').where('uuid', '=', instanceUuid).executeTakeFirst()
  const plan = readNetworkPlan(row?.networks ?? null)
  if (!plan.nics.some((nic) => nic.portId === portId)) {
    await deps.network.removeIn(trx, portId)
    return
  }
  await deps.network.unbind(trx, portId)
  const kept = { nics: plan.nics.filter((nic) => nic.portId !== portId) }
  await trx.updateTable('instances').set({ networks: JSON.stringify(kept) }).where('uuid', '=', instanceUuid).execute()
}

/** Removes a block device mapping and, after the commit, its volume attachment (a detach done, or an attach that failed). */
async function dropMapping(trx: Trx, deps: TaskResultDeps, bdmId: string, after: AfterCommit): Promise<void> {
  const bdm = await trx.selectFrom('block_device_mappings').select(['attachment_id']).where('id', '=', bdmId).executeTakeFirst()
  await trx.deleteFrom('block_device_mappings').where('id', '=', bdmId).execute()
  if (bdm?.attachment_id) after.push(() => deps.volumes.deleteAttachment(bdm.attachment_id!))
}

async function completeVolumeAttach(deps: TaskResultDeps, bdmId: string, instance: InstanceRow): Promise<void> {
  const bdm = await deps.db.selectFrom('block_device_mappings').select(['attachment_id', 'device_name']).where('id', '=', bdmId).executeTakeFirst()
  if (bdm?.attachment_id) await deps.volumes.completeAttachment(bdm.attachment_id, { mountpoint: bdm.device_name, hostName: instance.host ?? '' })
}

/**
 * Nova's `deallocate_for_instance`, in the transaction that marks the
 * server deleted: the ports Nova created are deleted, the user's unbound.
 */
export async function releasePorts(trx: Trx, deps: Pick<TaskResultDeps, 'network'>, instance: Pick<InstanceRow, 'uuid' | 'networks'>): Promise<void> {
  await deps.network.release(trx, instance.uuid, userPortIds(readNetworkPlan(instance.networks)))
}

/**
 * After an instance is gone: free its allocation, detach its volumes and
 * delete those marked delete_on_termination, and leave its server group.
 */
export async function finalizeDeletion(deps: TaskResultDeps, instanceUuid: string): Promise<void> {
  await deps.placement.deleteAllocations(instanceUuid)
  await endMigrationsOfDeleted(deps, instanceUuid)
  const bdms = await deps.db.selectFrom('block_device_mappings').selectAll().where('instance_uuid', '=', instanceUuid).execute()
  for (const bdm of bdms) {
    if (bdm.attachment_id) await deps.volumes.deleteAttachment(bdm.attachment_id).catch((error: unknown) => deps.log.warn({ err: error, server: instanceUuid, attachment: bdm.attachment_id }, 'deleted server: its volume attachment could not be deleted'))
    if (bdm.volume_id && bdm.delete_on_termination) await deps.volumes.deleteVolumeInternal(bdm.volume_id).catch((error: unknown) => deps.log.warn({ err: error, server: instanceUuid, volume: bdm.volume_id }, 'deleted server: its delete-on-termination volume could not be deleted'))
  }
  await deps.db.deleteFrom('block_device_mappings').where('instance_uuid', '=', instanceUuid).execute()
  // Nova removes a destroyed instance from its server group (views count live instances only, so this is tidying).
  await deps.db.deleteFrom('server_group_members').where('instance_uuid', '=', instanceUuid).execute()
}
