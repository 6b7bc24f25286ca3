import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { IncomingMigrationTarget, Task, TaskReport } from '../../agent-api/index.js'
import type { TaskResultDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { InstanceRow } from './instance-store.js'
import type { AfterCommit } from './task-results.js'
import { finishAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { nowIso } from '../time.js'
import { dropMoveAllocation, moveAllocationsBack, setMigrationStatus } from './move-allocations.js'

type Trx = Transaction<Database>

/** The tasks of a live migration, each host's step. */
export type LiveMigrationTask = Extract<Task, { kind: 'live_migration_prepare' | 'live_migration' | 'live_migration_finish' | 'live_migration_abort' }>

/** True for the tasks `applyLiveMigrationResult` applies. */
export function isLiveMigrationTask(task: Task): task is LiveMigrationTask {
  return task.kind.startsWith('live_migration')
}


/**
 * The server stays on its source (Nova's `_rollback_live_migration`): the
 * migration `failed` (or `cancelled`), the source allocation back on the
 * instance, no task_state, and the destination told to remove what it made.
 */
export async function rollBackLiveMigration(
  trx: Trx, deps: TaskResultDeps, tasks: TaskQueue, instance: InstanceRow, migration: { uuid: string; dest_compute: string | null }, status: 'failed' | 'cancelled', after: AfterCommit,
): Promise<void> {
  await setMigrationStatus(trx, migration.uuid, status)
  await moveAllocationsBack(trx, deps.placement, instance, migration.uuid)
  await trx.updateTable('instances').set({ task_state: null, updated_at: nowIso() }).where('uuid', '=', instance.uuid).where('task_state', '=', TaskState.MIGRATING).execute()
  const dest = migration.dest_compute
  if (dest) {
    await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: dest, actionId: null, task: { kind: 'live_migration_abort', migrationId: migration.uuid } })
    after.push(async () => tasks.notify(dest))
  }
}

/**
 * A step of a live migration ended (inside the finishing transaction); the
 * control plane orders the next: prepare done → the source's `live_migration`
 * with the destination's address; the RAM across → the instance's host is the
 * destination (exactly one host says the database), the migration's source
 * allocation dropped, and the destination's `live_migration_finish`; that
 * done → the migration `completed`, the server ACTIVE (or PAUSED) there. A
 * failure before the switch rolls back to the source.
 */
export async function applyLiveMigrationResult(
  trx: Trx, deps: TaskResultDeps, tasks: TaskQueue, instance: InstanceRow, task: LiveMigrationTask, actionId: string | null, report: TaskReport, after: AfterCommit,
): Promise<void> {
  if (task.kind === 'live_migration_abort') {
    if (!report.ok) deps.log.warn({ server: instance.uuid, migration: task.migrationId }, `the destination of live migration ${task.migrationId} could not be cleaned up: ${report.error ?? 'unknown error'}`)
    return
  }
  const migration = await trx.selectFrom('migrations').selectAll().where('uuid', '=', task.migrationId).executeTakeFirst()
  if (!migration) return
  const fail = async (status: 'failed' | 'cancelled') => {
    await rollBackLiveMigration(trx, deps, tasks, instance, migration, status, after)
    if (actionId) await finishAction(trx, actionId, 'Error', report.error ?? 'Live migration cancelled', report.detail)
  }
  if (migration.status === 'cancelled') return
  const source = migration.source_compute!
  const dest = migration.dest_compute!
  switch (task.kind) {
    case 'live_migration_prepare': {
      if (!report.ok) return fail('failed')
      if (migration.status === 'cancelling') return fail('cancelled')
      const target = report.output?.target as IncomingMigrationTarget | undefined
      if (!target) return fail('failed')
      await setMigrationStatus(trx, migration.uuid, 'running')
      await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: source, actionId, task: { kind: 'live_migration', migrationId: migration.uuid, target } })
      after.push(async () => tasks.notify(source))
      return
    }
    case 'live_migration': {
      if (!report.ok) return fail(migration.status === 'cancelling' ? 'cancelled' : 'failed')
      // The guest's state is on the destination now: that host is the server's, even before it continues there.
      await trx.updateTable('instances').set({ host: dest, node: migration.dest_node ?? dest, updated_at: nowIso() }).where('uuid', '=', instance.uuid).execute()
      await deps.network.bindHost(trx, instance.uuid, dest)
      await dropMoveAllocation(trx, deps.placement, instance, migration.uuid)
      await setMigrationStatus(trx, migration.uuid, 'post-migrating')
      await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: dest, actionId, task: { kind: 'live_migration_finish', migrationId: migration.uuid, paused: instance.vm_state === VmState.PAUSED } })
      after.push(async () => tasks.notify(dest))
      return
    }
    case 'live_migration_finish': {
      const set: Partial<InstanceRow> = { task_state: null, updated_at: nowIso() }
      if (report.powerState !== undefined) set.power_state = report.powerState
      if (!report.ok) set.vm_state = VmState.ERROR
      await trx.updateTable('instances').set(set).where('uuid', '=', instance.uuid).execute()
      await setMigrationStatus(trx, migration.uuid, report.ok ? 'completed' : 'error')
      if (actionId) await finishAction(trx, actionId, report.ok ? 'Success' : 'Error', report.ok ? undefined : report.error, report.ok ? undefined : report.detail)
    }
  }
}
