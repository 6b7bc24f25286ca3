import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { TaskResultDeps } from './ports.js'
import type { Task, TaskReport } from '../../agent-api/index.js'
import type { InstanceRow } from './instance-store.js'
import type { AfterCommit } from './task-results.js'
import { addFault } from './task-results.js'
import { VmState } from './instance-states.js'
import { finishAction } from './instance-actions.js'
import { nowIso } from '../time.js'
import { rotateBackups } from './server-backup.js'

type Trx = Transaction<Database>
type ShelveTask = Extract<Task, { kind: 'shelve' | 'shelve_offload' | 'unshelve' | 'backup' }>

/** The task kinds whose results this module applies. */
const KINDS = new Set<Task['kind']>(['shelve', 'shelve_offload', 'unshelve', 'backup'])

/** Whether `applyShelveTaskResult` applies this task's result. */
export function isShelveTask(task: Task): task is ShelveTask {
  return KINDS.has(task.kind)
}

/** Nova's `remove_shelved_keys_from_system_metadata`. */
const SHELVED_KEYS = ['shelved_at', 'shelved_image_id', 'shelved_host']

/**
 * Nova's `_shelve_offload_instance` in the database: no host, no power, the
 * ports kept but bound to no host, and (after the commit) no allocation.
 */
async function offloaded(trx: Trx, deps: TaskResultDeps, instance: InstanceRow, set: Partial<InstanceRow>, after: AfterCommit): Promise<void> {
  Object.assign(set, { vm_state: VmState.SHELVED_OFFLOADED, host: null, node: null, power_state: 0 })
  await deps.network.bindHost(trx, instance.uuid, '')
  after.push(() => deps.placement.deleteAllocations(instance.uuid))
}

/**
 * Applies the result of a shelve, offload, unshelve or backup task in the
 * finishing transaction. Success: SHELVED (with `shelved_at`,
 * `shelved_image_id`, `shelved_host` in system metadata), SHELVED_OFFLOADED,
 * or ACTIVE again with the shelve image deleted; a backup rotates. Failure:
 * the task_state is cleared and a fault recorded; the shelve or backup image
 * is killed; an offloaded server whose unshelve failed leaves its new host
 * (Nova's unshelve claim is aborted).
 */
export async function applyShelveTaskResult(trx: Trx, deps: TaskResultDeps, instance: InstanceRow, task: ShelveTask, actionId: string | null, report: TaskReport, after: AfterCommit): Promise<void> {
  const now = nowIso()
  const set: Partial<InstanceRow> = { updated_at: now, task_state: null }
  if (report.powerState !== undefined) set.power_state = report.powerState
  const system = JSON.parse(instance.system_metadata) as Record<string, string>
  let portStatus: 'ACTIVE' | 'DOWN' | null = null
  if (report.ok) {
    if (task.kind === 'shelve') {
      Object.assign(system, { shelved_at: now, shelved_host: instance.host ?? '' }, task.imageId ? { shelved_image_id: task.imageId } : {})
      set.vm_state = VmState.SHELVED
      if (task.offload) await offloaded(trx, deps, instance, set, after)
      portStatus = 'DOWN'
    } else if (task.kind === 'shelve_offload') {
      await offloaded(trx, deps, instance, set, after)
      portStatus = 'DOWN'
    } else if (task.kind === 'unshelve') {
      for (const key of SHELVED_KEYS) delete system[key]
      Object.assign(set, { vm_state: VmState.ACTIVE, launched_at: now })
      const imageId = task.imageId
      // Nova's `_delete_snapshot_of_shelved_instance`: the shelve image has served its purpose.
      if (imageId) after.push(() => deps.images.deleteImageInternal(imageId).catch((error: unknown) => deps.log.warn({ err: error, image: imageId, server: instance.uuid }, 'unshelved: the shelve image could not be deleted')))
      portStatus = 'ACTIVE'
    } else {
      const { backupType, rotation } = task
      after.push(() => rotateBackups(deps, instance.uuid, backupType, rotation))
    }
  } else {
    const reason = report.error ?? 'unknown error'
    await addFault(trx, instance.uuid, reason, report.detail)
    if (task.kind === 'shelve' && task.imageId) after.push(() => deps.images.killImage(task.imageId!))
    if (task.kind === 'backup') after.push(() => deps.images.killImage(task.imageId))
    if (task.kind === 'unshelve' && task.offloaded) await offloaded(trx, deps, instance, set, after)
  }
  set.system_metadata = JSON.stringify(system)
  await trx.updateTable('instances').set(set).where('uuid', '=', instance.uuid).execute()
  if (portStatus) await deps.network.setStatus(trx, instance.uuid, portStatus)
  if (actionId) await finishAction(trx, actionId, report.ok ? 'Success' : 'Error', report.ok ? undefined : report.error, report.ok ? undefined : report.detail)
}

/**
 * Nova's `_delete`: a SHELVED or SHELVED_OFFLOADED server's shelve image goes
 * with it (a failure is logged, never stops the delete).
 */
export async function deleteShelveImageOf(deps: Pick<TaskResultDeps, 'images' | 'log'>, instance: Pick<InstanceRow, 'uuid' | 'vm_state' | 'system_metadata'>): Promise<void> {
  if (instance.vm_state !== VmState.SHELVED && instance.vm_state !== VmState.SHELVED_OFFLOADED) return
  const imageId = (JSON.parse(instance.system_metadata) as Record<string, string>).shelved_image_id
  if (!imageId) return
  await deps.images.deleteImageInternal(imageId)
    .catch((error: unknown) => deps.log.warn({ err: error, image: imageId, server: instance.uuid }, 'Failed to delete snapshot from shelved instance'))
}
