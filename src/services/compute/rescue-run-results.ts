/**
 * A rescue run's result, applied in the transaction that finishes its task
 * (after `applyTaskResult`): the rescue task's `output.run` goes into the
 * run's row, then the unrescue policy queues the unrescue in the same
 * transaction; the unrescue's end makes the run final. Because every step
 * is written with the task that caused it, a restart of the control plane or
 * of an agent loses no result and repeats no step.
 */
import { Value } from '@sinclair/typebox/value'
import type { Transaction } from 'kysely'
import type { Database, Db } from '../../db/schema.js'
import type { ServerRunsTable } from '../../db/tables/rescue-run-tables.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { RescueRunResultSchema, type RescueRunResult, type Task, type TaskReport } from '../../agent-api/index.js'
import type { AfterCommit } from './task-results.js'
import { recordAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { ServerRunState } from './rescue-run-store.js'
import { nowIso } from '../time.js'

type Trx = Transaction<Database>

/** Called after the commit when a fleet's member reached a final state (the fleet loop advances at once). */
export type RunFinishedListener = (fleetId: string) => void

/** The run's result from the report, if the agent sent a well-formed one. */
function reportedRun(report: TaskReport): RescueRunResult | null {
  const run = report.output?.run
  return Value.Check(RescueRunResultSchema, run) ? run : null
}

async function fleetState(trx: Trx, fleetId: string | null): Promise<string | null> {
  if (!fleetId) return null
  return (await trx.selectFrom('rescue_runs').select('state').where('id', '=', fleetId).executeTakeFirst())?.state ?? null
}

/**
 * Applies a finished task to the run it belongs to, if any: a `rescue` task
 * with a run, or the `unrescue` of a run in state `unrescuing`.
 */
export async function applyRunResult(trx: Trx, tasks: TaskQueue, instanceUuid: string, task: Task, report: TaskReport, after: AfterCommit, listener: RunFinishedListener | null): Promise<void> {
  const now = nowIso()
  if (task.kind === 'rescue' && task.run) {
    const row = await trx.selectFrom('server_runs').selectAll().where('id', '=', task.run.runId)
      .where('state', 'in', [ServerRunState.RESCUING, ServerRunState.RUNNING]).executeTakeFirst()
    if (!row) return
    if (!report.ok) {
      // The rescue itself failed: the server is back where it was; the script never ran.
      await finish(trx, row, { state: ServerRunState.FAILED, reason: `rescue failed: ${report.error ?? 'unknown error'}`, succeeded: 0 }, after, listener)
      return
    }
    const run = reportedRun(report)
    const succeeded = run !== null && run.exitStatus === 0 && !run.timedOut
    const reason = run === null ? 'no result from the agent' : run.error ?? (run.timedOut ? 'timed out' : run.exitStatus !== 0 ? `exit status ${run.exitStatus}` : null)
    const result = {
      exit_status: run?.exitStatus ?? null, output: run?.output ?? null, output_truncated: run?.outputTruncated ? 1 : 0,
      duration_ms: run?.durationMs ?? null, timed_out: run?.timedOut ? 1 : 0, succeeded: succeeded ? 1 : 0, reason, updated_at: now,
    }
    // A cancelled fleet puts its in-flight servers back whatever the policy.
    const cancelled = (await fleetState(trx, row.fleet_id)) === 'cancelling'
    const unrescue = cancelled || row.unrescue === 'always' || (row.unrescue === 'on-success' && succeeded)
    if (unrescue && await queueRunUnrescue(trx, tasks, row, !succeeded && row.discard_on_failure === 1, after)) {
      await trx.updateTable('server_runs').set({ ...result, state: ServerRunState.UNRESCUING }).where('id', '=', row.id).execute()
      return
    }
    await trx.updateTable('server_runs').set(result).where('id', '=', row.id).execute()
    await finish(trx, { ...row, reason }, { state: succeeded ? ServerRunState.SUCCEEDED : ServerRunState.FAILED, reason, succeeded: succeeded ? 1 : 0 }, after, listener)
    return
  }
  if (task.kind === 'unrescue') {
    const row = await trx.selectFrom('server_runs').selectAll().where('instance_uuid', '=', instanceUuid).where('state', '=', ServerRunState.UNRESCUING).executeTakeFirst()
    if (!row) return
    const ok = report.ok && row.succeeded === 1
    const reason = report.ok ? row.reason : `unrescue failed: ${report.error ?? 'unknown error'}`
    await finish(trx, row, { state: ok ? ServerRunState.SUCCEEDED : ServerRunState.FAILED, reason, succeeded: row.succeeded ?? 0 }, after, listener)
  }
}

/** The agent started the run's script (its `lifeboat_rescue_run` event): `rescuing` → `running`. */
export async function markRunRunning(db: Db, actionId: string): Promise<void> {
  await db.updateTable('server_runs').set({ state: ServerRunState.RUNNING, updated_at: nowIso() }).where('action_id', '=', actionId).where('state', '=', ServerRunState.RESCUING).execute()
}

/** Makes a run final and tells the fleet loop after the commit. */
async function finish(trx: Trx, row: ServerRunsTable, set: { state: string; reason: string | null; succeeded: number }, after: AfterCommit, listener: RunFinishedListener | null): Promise<void> {
  const now = nowIso()
  await trx.updateTable('server_runs').set({ ...set, finished_at: now, updated_at: now }).where('id', '=', row.id).execute()
  const fleetId = row.fleet_id
  if (fleetId && listener) after.push(async () => listener(fleetId))
}

/**
 * The run's unrescue (`queueUnrescue`'s steps, in this transaction): only
 * from RESCUED with no task; false when the server is not there (deleted,
 * or another action took it), and the run ends as it is.
 */
async function queueRunUnrescue(trx: Trx, tasks: TaskQueue, row: ServerRunsTable, discard: boolean, after: AfterCommit): Promise<boolean> {
  const instance = await trx.selectFrom('instances').select(['uuid', 'host']).where('uuid', '=', row.instance_uuid).where('deleted', '=', 0)
    .where('vm_state', '=', VmState.RESCUED).where('task_state', 'is', null).executeTakeFirst()
  if (!instance) return false
  const claimed = await trx.updateTable('instances').set({ task_state: TaskState.UNRESCUING, updated_at: nowIso() })
    .where('uuid', '=', instance.uuid).where('vm_state', '=', VmState.RESCUED).where('task_state', 'is', null).executeTakeFirst()
  if (Number(claimed.numUpdatedRows) !== 1) return false
  const actionId = await recordAction(trx, instance.uuid, 'unrescue', { requestId: `req-rescue-run-${row.id}`, projectId: row.project_id, userId: row.user_id })
  await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: instance.host, actionId, task: { kind: 'unrescue', discard } })
  after.push(async () => tasks.notify(instance.host))
  return true
}
