import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { OutgoingMigrationSource, Task, TaskReport } from '../../agent-api/index.js'
import type { TaskResultDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { InstanceRow } from './instance-store.js'
import type { AfterCommit } from './task-results.js'
import { addFault } from './task-results.js'
import { finishAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { nowIso } from '../time.js'
import { moveAllocationsBack, setMigrationStatus } from './move-allocations.js'

type Trx = Transaction<Database>

/** The tasks of a cold migration, each host's step. */
export type ColdMigrationTask = Extract<Task, { kind: 'migrate_out' | 'migrate_in' | 'migrate_release' }>

/** True for the tasks `applyColdMigrationResult` applies. */
export function isColdMigrationTask(task: Task): task is ColdMigrationTask {
  return task.kind === 'migrate_out' || task.kind === 'migrate_in' || task.kind === 'migrate_release'
}

type Release = Extract<Task, { kind: 'migrate_release' }>


/** Queues a `migrate_release` step on `host`, notified after the commit. */
export async function queueRelease(trx: Trx, tasks: TaskQueue, after: AfterCommit, instanceUuid: string, host: string, actionId: string | null, job: Omit<Release, 'kind'>): Promise<void> {
  await tasks.enqueue(trx, { instanceUuid, host, actionId, task: { kind: 'migrate_release', ...job } })
  after.push(async () => tasks.notify(host))
}

/** Was the guest running before the move (what a rollback or revert boots again)? */
function wasRunning(instance: InstanceRow): boolean {
  return instance.vm_state === VmState.ACTIVE || instance.vm_state === VmState.RESCUED || (instance.vm_state === VmState.RESIZED && instance.power_state === 1)
}

/**
 * A step of a cold migration ended (inside the finishing transaction); the
 * control plane orders the next, as Nova's computes hand over by RPC:
 * - `migrate_out` done (the guest stopped, its disks served) → the
 *   destination's `migrate_in` with where to copy from; failed → the server
 *   stays as it was (the source undid its part), the migration `error`.
 * - `migrate_in` done → the server is the destination's (host, ports),
 *   VERIFY_RESIZE, the migration `finished`, the source stops serving and
 *   keeps its copy for a revert. A RESCUED server has no VERIFY_RESIZE: it
 *   stays rescued and is confirmed at once (its source copy dropped).
 *   Failed → back on the source as it was: the source boots its copy again,
 *   the destination drops whatever it made, the allocation comes back.
 * - `migrate_release` steps end a confirm (`confirmed`, the migration's
 *   allocation freed) or a revert (the destination's copy gone → the server
 *   is the source's again and boots there → `reverted`).
 */
export async function applyColdMigrationResult(
  trx: Trx, deps: TaskResultDeps, tasks: TaskQueue, instance: InstanceRow, task: ColdMigrationTask, actionId: string | null, report: TaskReport, after: AfterCommit,
): Promise<void> {
  const migration = await trx.selectFrom('migrations').selectAll().where('uuid', '=', task.migrationId).executeTakeFirst()
  if (!migration) return
  const source = migration.source_compute!
  const dest = migration.dest_compute!
  const now = nowIso()
  const finish = async (ok: boolean) => {
    if (actionId) await finishAction(trx, actionId, ok ? 'Success' : 'Error', ok ? undefined : report.error, ok ? undefined : report.detail)
  }
  const rollBack = async (sourceBoots: boolean) => {
    await setMigrationStatus(trx, migration.uuid, 'error')
    await moveAllocationsBack(trx, deps.placement, instance, migration.uuid)
    await trx.updateTable('instances').set({ task_state: null, updated_at: now }).where('uuid', '=', instance.uuid).execute()
    await addFault(trx, instance.uuid, report.error ?? 'unknown error', report.detail)
    await finish(false)
    if (sourceBoots) await queueRelease(trx, tasks, after, instance.uuid, source, null, { migrationId: migration.uuid, drop: false, powerOn: wasRunning(instance), step: 'rollback' })
  }
  switch (task.kind) {
    case 'migrate_out': {
      // The source undid its part (the guest as it was) before reporting a failure.
      if (!report.ok) return rollBack(false)
      const served = report.output?.source as OutgoingMigrationSource | undefined
      if (!served) return rollBack(true)
      await trx.updateTable('instances').set({ task_state: TaskState.RESIZE_MIGRATED, power_state: report.powerState ?? instance.power_state, updated_at: now })
        .where('uuid', '=', instance.uuid).where('task_state', 'in', [TaskState.RESIZE_PREP, TaskState.RESIZE_MIGRATING]).execute()
      await setMigrationStatus(trx, migration.uuid, 'post-migrating')
      await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: dest, actionId, task: { kind: 'migrate_in', migrationId: migration.uuid, source: served, powerOn: wasRunning(instance) } })
      after.push(async () => tasks.notify(dest))
      return
    }
    case 'migrate_in': {
      if (!report.ok) {
        await queueRelease(trx, tasks, after, instance.uuid, dest, null, { migrationId: migration.uuid, drop: true, powerOn: false, step: 'cleanup' })
        return rollBack(true)
      }
      const rescued = instance.vm_state === VmState.RESCUED
      const set: Partial<InstanceRow> = { host: dest, node: migration.dest_node ?? dest, task_state: null, updated_at: now }
      if (report.powerState !== undefined) set.power_state = report.powerState
      if (!rescued) set.vm_state = VmState.RESIZED
      await trx.updateTable('instances').set(set).where('uuid', '=', instance.uuid).execute()
      await deps.network.bindHost(trx, instance.uuid, dest)
      await finish(true)
      if (rescued) {
        // Beyond Nova: a rescued server cannot wait in VERIFY_RESIZE (it must stay `rescued`), so it is confirmed on arrival.
        await setMigrationStatus(trx, migration.uuid, 'confirming')
        await queueRelease(trx, tasks, after, instance.uuid, source, null, { migrationId: migration.uuid, drop: true, powerOn: false, step: 'confirm' })
      } else {
        await setMigrationStatus(trx, migration.uuid, 'finished')
        await queueRelease(trx, tasks, after, instance.uuid, source, null, { migrationId: migration.uuid, drop: false, powerOn: false, step: 'end-serving' })
      }
      return
    }
    case 'migrate_release':
      return applyRelease(trx, deps, tasks, instance, task, migration, actionId, report, after)
  }
}

async function applyRelease(
  trx: Trx, deps: TaskResultDeps, tasks: TaskQueue, instance: InstanceRow, task: Release, migration: { uuid: string; source_compute: string | null; status: string },
  actionId: string | null, report: TaskReport, after: AfterCommit,
): Promise<void> {
  const now = nowIso()
  const warn = () => deps.log.warn({ server: instance.uuid, migration: migration.uuid, step: task.step }, `cold migration ${migration.uuid}: the ${task.step} step failed: ${report.error ?? 'unknown error'}`)
  switch (task.step) {
    case 'end-serving':
    case 'cleanup':
      if (!report.ok) warn()
      return
    case 'rollback':
      if (!report.ok) warn()
      if (report.powerState !== undefined) await trx.updateTable('instances').set({ power_state: report.powerState, updated_at: now }).where('uuid', '=', instance.uuid).where('host', '=', migration.source_compute).execute()
      return
    case 'confirm': {
      const set: Partial<InstanceRow> = { updated_at: now }
      if (instance.vm_state === VmState.RESIZED) set.vm_state = report.ok ? (instance.power_state === 1 ? VmState.ACTIVE : VmState.STOPPED) : VmState.ERROR
      await trx.updateTable('instances').set(set).where('uuid', '=', instance.uuid).execute()
      await setMigrationStatus(trx, migration.uuid, report.ok ? 'confirmed' : 'error')
      after.push(() => deps.placement.deleteAllocations(migration.uuid))
      if (!report.ok) await addFault(trx, instance.uuid, report.error ?? 'unknown error', report.detail)
      if (actionId) await finishAction(trx, actionId, report.ok ? 'Success' : 'Error', report.ok ? undefined : report.error)
      return
    }
    case 'revert-dest': {
      // Nova's `revert_resize` on the destination, then `finish_revert_resize` on the source: the server is the source's again.
      if (!report.ok) warn()
      const source = migration.source_compute!
      await trx.updateTable('instances').set({ host: source, node: source, updated_at: now }).where('uuid', '=', instance.uuid).execute()
      await deps.network.bindHost(trx, instance.uuid, source)
      await queueRelease(trx, tasks, after, instance.uuid, source, actionId, { migrationId: migration.uuid, drop: false, powerOn: task.powerOn, step: 'revert-source' })
      return
    }
    case 'revert-source': {
      const set: Partial<InstanceRow> = { task_state: null, updated_at: now }
      if (report.powerState !== undefined) set.power_state = report.powerState
      set.vm_state = report.ok ? (task.powerOn ? VmState.ACTIVE : VmState.STOPPED) : VmState.ERROR
      await trx.updateTable('instances').set(set).where('uuid', '=', instance.uuid).execute()
      await setMigrationStatus(trx, migration.uuid, report.ok ? 'reverted' : 'error')
      if (!report.ok) await addFault(trx, instance.uuid, report.error ?? 'unknown error', report.detail)
      if (actionId) await finishAction(trx, actionId, report.ok ? 'Success' : 'Error', report.ok ? undefined : report.error)
    }
  }
}

/**
 * A server deleted while a cold migration's source still keeps its copy
 * (VERIFY_RESIZE, or a confirm not yet done): as Nova confirms the resize on
 * delete, the source drops it. Returns the host to notify, or null.
 */
export async function dropSourceCopyOnDelete(trx: Trx, tasks: TaskQueue, instanceUuid: string): Promise<string | null> {
  const migration = await trx.selectFrom('migrations').select(['uuid', 'source_compute']).where('instance_uuid', '=', instanceUuid)
    .where('migration_type', '=', 'migration').where('status', 'in', ['finished', 'confirming']).where('deleted', '=', 0).orderBy('id', 'desc').executeTakeFirst()
  if (!migration?.source_compute) return null
  await tasks.enqueue(trx, { instanceUuid, host: migration.source_compute, actionId: null, task: { kind: 'migrate_release', migrationId: migration.uuid, drop: true, powerOn: false, step: 'cleanup' } })
  return migration.source_compute
}
