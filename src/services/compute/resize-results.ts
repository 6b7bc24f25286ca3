import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../../db/schema.js'
import type { Task, TaskEvent, TaskReport } from '../../agent-api/index.js'
import type { Store, TaskResultDeps } from './ports.js'
import type { InstanceRow } from './instance-store.js'
import type { MigrationsTable } from '../../db/tables/migration-tables.js'
import { finishAction, recordAction, startActionEvent, finishActionEvent, type ActionContext } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { nowIso } from '../time.js'
import { moveAllocationsBack } from './move-allocations.js'

/** The tasks of a resize and of its end. */
export type ResizeTask = Extract<Task, { kind: 'resize' | 'confirm_resize' | 'revert_resize' }>

/** Migration statuses after which nothing more happens (their consumer should hold nothing). */
export const FINAL_MIGRATION_STATUSES: readonly string[] = ['confirmed', 'reverted', 'error']

/** A running resize's task_states, which the agent's events move on. */
const RESIZE_TASK_STATES = [TaskState.RESIZE_PREP, TaskState.RESIZE_MIGRATING, TaskState.RESIZE_MIGRATED, TaskState.RESIZE_FINISH]
const RUNNING_MIGRATION = ['pre-migrating', 'migrating', 'post-migrating']

/** True for the tasks `applyResizeResult` finishes. */
export function isResizeTask(task: Task): task is ResizeTask {
  return task.kind === 'resize' || task.kind === 'confirm_resize' || task.kind === 'revert_resize'
}

type NewMigration = Omit<MigrationsTable, 'id' | 'hidden' | 'cross_cell_move' | 'deleted'>

async function addFault(db: Db, instanceUuid: string, message: string, details = ''): Promise<void> {
  await db.insertInto('instance_faults').values({ id: randomUUID(), instance_uuid: instanceUuid, code: 500, message, details, created_at: nowIso() }).execute()
}

/**
 * A resize refused after acceptance, as Nova's conductor or compute refuses
 * it (no valid host, a disk that would shrink): in one transaction, the
 * `resize` action with its failed `event`, a migration in `error`, and a
 * fault; the server keeps its state, flavor and allocation.
 */
export async function recordRefusedResize(db: Db, instance: InstanceRow, context: ActionContext, migration: NewMigration, event: string, message: string, action = 'resize'): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const actionId = await recordAction(trx, instance.uuid, action, context)
    await trx.insertInto('migrations').values({ ...migration, status: 'error' }).execute()
    const eventId = await startActionEvent(trx, actionId, event, instance.host)
    await finishActionEvent(trx, eventId, 'Error', message)
    await finishAction(trx, actionId, 'Error', message)
    await addFault(trx, instance.uuid, message)
  })
}

/**
 * The agent's events of a resize move Nova's states on: `compute_resize_instance`
 * starting is `resize_migrating` (migration `migrating`), its end
 * `resize_migrated` (`post-migrating`), `compute_finish_resize` starting
 * `resize_finish`. Only forward, only while that resize runs.
 */
export async function applyResizeProgress(db: Db, instanceUuid: string, task: Task, events: TaskEvent[]): Promise<void> {
  // A cold migration's two halves send the same events (cold-migration-results.ts).
  if (task.kind !== 'resize' && task.kind !== 'migrate_out' && task.kind !== 'migrate_in') return
  for (const e of events) {
    let step: [string, string] | null = null
    if (e.event === 'compute_resize_instance' && e.phase === 'start') step = [TaskState.RESIZE_MIGRATING, 'migrating']
    if (e.event === 'compute_resize_instance' && e.phase === 'finish' && e.result !== 'Error') step = [TaskState.RESIZE_MIGRATED, 'post-migrating']
    if (e.event === 'compute_finish_resize' && e.phase === 'start') step = [TaskState.RESIZE_FINISH, 'post-migrating']
    if (!step) continue
    const now = nowIso()
    await db.updateTable('instances').set({ task_state: step[0], updated_at: now }).where('uuid', '=', instanceUuid).where('task_state', 'in', RESIZE_TASK_STATES).execute()
    await db.updateTable('migrations').set({ status: step[1], updated_at: now }).where('uuid', '=', task.migrationId).where('status', 'in', RUNNING_MIGRATION).execute()
  }
}

/**
 * A resize task's end, inside the finishing transaction (after the generic
 * part cleared task_state): the states, the flavor, the migration's status
 * and placement as Nova leaves them. A failed resize returns the server to
 * where it was (its disks were put back by the agent) with the old
 * allocation; a failed confirm or revert is ERROR, as in Nova.
 */
export async function applyResizeResult(trx: Db, deps: Pick<TaskResultDeps, 'placement'>, instance: InstanceRow, task: ResizeTask, report: TaskReport, set: Partial<InstanceRow>, after: Array<() => Promise<void>>): Promise<void> {
  const migration = await trx.selectFrom('migrations').selectAll().where('uuid', '=', task.migrationId).executeTakeFirst()
  if (!migration) return
  const running = (report.powerState ?? instance.power_state) === 1
  let status: string
  if (task.kind === 'resize') {
    if (report.ok) {
      Object.assign(set, { vm_state: VmState.RESIZED, flavor: migration.new_flavor ?? instance.flavor })
      status = 'finished'
    } else {
      set.vm_state = task.powerOn ? VmState.ACTIVE : VmState.STOPPED
      status = 'error'
      await moveAllocationsBack(trx, deps.placement, instance, migration.uuid)
    }
  } else if (task.kind === 'confirm_resize') {
    set.vm_state = report.ok ? (running ? VmState.ACTIVE : VmState.STOPPED) : VmState.ERROR
    status = report.ok ? 'confirmed' : 'error'
    after.push(() => deps.placement.deleteAllocations(migration.uuid))
  } else {
    set.vm_state = report.ok ? (task.powerOn ? VmState.ACTIVE : VmState.STOPPED) : VmState.ERROR
    set.flavor = migration.old_flavor ?? instance.flavor
    status = report.ok ? 'reverted' : 'error'
  }
  if (!report.ok) await addFault(trx, instance.uuid, report.error ?? 'unknown error', report.detail)
  await trx.updateTable('migrations').set({ status, updated_at: nowIso() }).where('id', '=', migration.id).execute()
}

/**
 * A deleted server's migrations (Nova confirms a resize on delete): their
 * allocations go, a `finished` or `confirming` one ends `confirmed`, one
 * still running ends in `error`.
 */
export async function endMigrationsOfDeleted(deps: Pick<TaskResultDeps, 'db' | 'placement'>, instanceUuid: string): Promise<void> {
  const rows = await deps.db.selectFrom('migrations').select(['id', 'uuid', 'status']).where('instance_uuid', '=', instanceUuid).execute()
  for (const row of rows) {
    await deps.placement.deleteAllocations(row.uuid)
    if (FINAL_MIGRATION_STATUSES.includes(row.status)) continue
    const status = row.status === 'finished' || row.status === 'confirming' ? 'confirmed' : 'error'
    await deps.db.updateTable('migrations').set({ status, updated_at: nowIso() }).where('id', '=', row.id).execute()
  }
}

/** At start: a finished migration whose allocation survived (a stop between a confirm's commit and its clean-up) frees it. */
export async function freeEndedMigrationAllocations(deps: Pick<TaskResultDeps, 'db' | 'log' | 'placement'>): Promise<string[]> {
  const rows = await deps.db.selectFrom('migrations').select('uuid').where('status', 'in', FINAL_MIGRATION_STATUSES)
    .where((eb) => eb.exists(eb.selectFrom('placement_allocations').select(sql`1`.as('one')).whereRef('placement_allocations.consumer_uuid', '=', 'migrations.uuid'))).execute()
  for (const { uuid } of rows) {
    await deps.placement.deleteAllocations(uuid)
    deps.log.warn({ migration: uuid }, `migration ${uuid} had ended but still held resources when the process stopped (restart): freed now`)
  }
  return rows.map((r) => r.uuid)
}

/**
 * Nova's `_poll_unconfirmed_resizes`: with `resize_confirm_window` above 0, a
 * resize `finished` longer ago than that is confirmed for its owner.
 */
export async function confirmExpiredResizes(deps: Store, windowSeconds: number, queue: (instance: InstanceRow, migration: { id: number; uuid: string; source_compute: string | null }, context: ActionContext) => Promise<void>): Promise<void> {
  if (windowSeconds <= 0) return
  const before = new Date(Date.now() - windowSeconds * 1000).toISOString()
  const rows = await deps.db.selectFrom('migrations').innerJoin('instances', 'instances.uuid', 'migrations.instance_uuid')
    .select(['migrations.id as migrationId', 'migrations.uuid as migrationUuid', 'migrations.source_compute as sourceCompute', 'instances.uuid as instanceUuid'])
    .where('migrations.status', '=', 'finished').where('migrations.updated_at', '<', before)
    .where('instances.deleted', '=', 0).where('instances.vm_state', '=', VmState.RESIZED).where('instances.task_state', 'is', null).execute()
  for (const row of rows) {
    const instance = await deps.db.selectFrom('instances').selectAll().where('uuid', '=', row.instanceUuid).executeTakeFirst()
    if (!instance) continue
    await queue(instance, { id: row.migrationId, uuid: row.migrationUuid, source_compute: row.sourceCompute }, { requestId: `req-resize-confirm-${row.migrationUuid}`, projectId: instance.project_id, userId: instance.user_id })
      .catch((error: unknown) => deps.log.warn({ err: error, server: row.instanceUuid }, `the resize of server ${row.instanceUuid} passed its confirm window but its confirm could not be queued`))
  }
}
