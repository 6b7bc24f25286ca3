/**
 * The fleet run loop (docs/rescue-runs.md): advances each fleet from what the
 * database says, so any control plane (or the same one after a restart) can
 * pick it up. Each launch is one transaction that locks the fleet's row,
 * counts its servers in flight, moves one `pending` server to `rescuing` by
 * compare-and-set and queues its rescue with the script; results come back
 * through the rescue and unrescue tasks (`rescue-run-results.ts`), never by
 * watching a guest. A server that is not ACTIVE or SHUTOFF at its turn is
 * skipped with the reason.
 */
import type { RescueDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { RescueRunsTable, ServerRunsTable } from '../../db/tables/rescue-run-tables.js'
import { ownerAuth } from './call-context.js'
import { commitRescue, prepareRescue } from './rescue.js'
import { IN_FLIGHT_STATES, ServerRunState, type UnrescuePolicy } from './rescue-run-store.js'
import { VmState } from './instance-states.js'
import { statusFromState } from './instance-states.js'
import { nowIso } from '../time.js'

/** A fleet's states: `running`, then `stopping` (budget or canary) or `cancelling`, then one of the final three. */
export const FleetState = {
  RUNNING: 'running', STOPPING: 'stopping', CANCELLING: 'cancelling',
  SUCCEEDED: 'succeeded', COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled',
} as const
const ACTIVE_FLEET_STATES: string[] = [FleetState.RUNNING, FleetState.STOPPING, FleetState.CANCELLING]
/** What the loop reads of a member. */
type Member = Pick<ServerRunsTable, 'id' | 'state' | 'position' | 'instance_uuid' | 'project_id'>
const FINAL_RUN_STATES: string[] = [ServerRunState.SUCCEEDED, ServerRunState.FAILED, ServerRunState.SKIPPED, ServerRunState.CANCELLED]

/** Whether the failures so far spend more than the error budget. */
export function budgetExceeded(fleet: Pick<RescueRunsTable, 'error_budget_count' | 'error_budget_percent'>, failed: number, total: number): boolean {
  if (fleet.error_budget_count !== null && failed > fleet.error_budget_count) return true
  return fleet.error_budget_percent !== null && total > 0 && (failed * 100) / total > fleet.error_budget_percent
}

/** Drives fleet runs: `advance` after each member's end, `tick` every second for the rest. */
export class RescueFleetLoop {
  readonly #deps: RescueDeps
  readonly #tasks: TaskQueue
  /** fleet id → the advance under way in this process (one at a time per fleet; others' are serialized by the row lock). */
  readonly #running = new Map<string, Promise<void>>()
  #again = new Set<string>()
  /** Fleets whose next advance also looks for members whose server was deleted (the periodic tick asks; a member's end need not). */
  readonly #reconcile = new Set<string>()

  constructor(deps: RescueDeps, tasks: TaskQueue) {
    this.#deps = deps
    this.#tasks = tasks
  }

  /** Advances every fleet not yet final (the periodic job; also what resumes fleets after a restart). */
  async tick(): Promise<void> {
    const fleets = await this.#deps.db.selectFrom('rescue_runs').select('id').where('state', 'in', ACTIVE_FLEET_STATES).execute()
    for (const fleet of fleets) {
      this.#reconcile.add(fleet.id)
      await this.advance(fleet.id)
    }
  }

  /** Advances one fleet; a call while one runs makes it go round once more. */
  advance(fleetId: string): Promise<void> {
    const current = this.#running.get(fleetId)
    if (current) {
      this.#again.add(fleetId)
      return current
    }
    const work = (async () => {
      do {
        this.#again.delete(fleetId)
        await this.#advanceOnce(fleetId)
      } while (this.#again.has(fleetId))
    })().catch((error: unknown) => this.#deps.log.warn({ err: error, rescueRun: fleetId }, 'advancing a rescue run failed')).finally(() => this.#running.delete(fleetId))
    this.#running.set(fleetId, work)
    return work
  }

  /**
   * One pass over a fleet. Reads no member row it does not act on: the
   * members are counted by state (from the index), the canaries' states read
   * only while there are canaries, and only the next pending members fetched,
   * so a pass costs the same for 10 servers or 10 000.
   */
  async #advanceOnce(fleetId: string): Promise<void> {
    const db = this.#deps.db
    const fleet = await db.selectFrom('rescue_runs').selectAll().where('id', '=', fleetId).executeTakeFirst()
    if (!fleet || !ACTIVE_FLEET_STATES.includes(fleet.state)) return
    if (this.#reconcile.delete(fleetId)) await this.#reconcileDeleted(fleetId)
    let counts = await this.#counts(fleetId)
    if (fleet.state === FleetState.RUNNING) {
      const canaries = fleet.canary > 0 ? await this.#canaryStates(fleet) : []
      const stop = canaries.some((state) => state === ServerRunState.FAILED) ? `a canary failed (${fleet.canary} first)`
        : budgetExceeded(fleet, counts.failed, counts.total) ? `error budget exceeded (${counts.failed} of ${counts.total} failed)` : null
      if (stop) {
        await this.#stop(fleet, FleetState.STOPPING, stop)
        counts = await this.#counts(fleetId)
      } else {
        const { launched, skipped } = await this.#launch(fleet, counts, canaries)
        if (launched > 0) return
        if (skipped > 0) counts = await this.#counts(fleetId)
      }
    }
    if (counts.open === 0) await this.#finishFleet(fleetId, counts.failed, counts.total)
  }

  /** A fleet's members counted by state: failed, in flight, not final, all. */
  async #counts(fleetId: string): Promise<{ failed: number; inFlight: number; open: number; total: number }> {
    const rows = await this.#deps.db.selectFrom('server_runs').select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('fleet_id', '=', fleetId).groupBy('state').execute()
    const counts = { failed: 0, inFlight: 0, open: 0, total: 0 }
    for (const row of rows) {
      const n = Number(row.n)
      counts.total += n
      if (row.state === ServerRunState.FAILED) counts.failed += n
      if (IN_FLIGHT_STATES.includes(row.state as never)) counts.inFlight += n
      if (!FINAL_RUN_STATES.includes(row.state)) counts.open += n
    }
    return counts
  }

  /** The states of the canaries: the first `canary` members (positions 0 … canary-1). */
  async #canaryStates(fleet: RescueRunsTable): Promise<string[]> {
    const rows = await this.#deps.db.selectFrom('server_runs').select('state').where('fleet_id', '=', fleet.id).where('position', '<', fleet.canary).execute()
    return rows.map((row) => row.state)
  }

  /**
   * Launches pending members, in order, while fewer than max_in_flight are in
   * flight (only the canaries until they all ended), fetching only as many as
   * there are free places (again when some were skipped); answers how many
   * were launched and skipped.
   */
  async #launch(fleet: RescueRunsTable, counts: { inFlight: number }, canaryStates: string[]): Promise<{ launched: number; skipped: number }> {
    const canariesOpen = canaryStates.some((state) => !FINAL_RUN_STATES.includes(state))
    let inFlight = counts.inFlight
    let launched = 0
    let skipped = 0
    let after = -1
    while (inFlight < fleet.max_in_flight) {
      const free = fleet.max_in_flight - inFlight
      let next = this.#deps.db.selectFrom('server_runs').select(['id', 'state', 'position', 'instance_uuid', 'project_id'])
        .where('fleet_id', '=', fleet.id).where('state', '=', ServerRunState.PENDING).where('position', '>', after)
      if (canariesOpen) next = next.where('position', '<', fleet.canary)
      const batch = await next.orderBy('position').limit(free).execute()
      for (const member of batch) {
        after = member.position
        const outcome = await this.#launchOne(fleet, member)
        if (outcome === 'full') return { launched, skipped }
        if (outcome === 'launched') {
          inFlight++
          launched++
        } else {
          skipped++
        }
      }
      if (batch.length < free) break
    }
    return { launched, skipped }
  }

  /**
   * One member's turn: a server not ACTIVE or SHUTOFF (or gone, or refused
   * by the rescue checks) is skipped with the reason; else, in one
   * transaction, the fleet row is locked, the in-flight count checked, the
   * member moved `pending` → `rescuing`, and the rescue committed.
   */
  async #launchOne(fleet: RescueRunsTable, member: Member): Promise<'launched' | 'skipped' | 'full' | 'taken'> {
    const db = this.#deps.db
    const instance = await db.selectFrom('instances').select(['uuid', 'vm_state', 'task_state', 'deleted']).where('uuid', '=', member.instance_uuid).executeTakeFirst()
    if (!instance || instance.deleted) return this.#skip(member, 'the server no longer exists')
    if (![VmState.ACTIVE, VmState.STOPPED].includes(instance.vm_state as never) || instance.task_state !== null) {
      const status = statusFromState(instance.vm_state, instance.task_state)
      return this.#skip(member, `the server is ${status}${instance.task_state ? ` (task_state ${instance.task_state})` : ''}, not ACTIVE or SHUTOFF`)
    }
    const call = { auth: ownerAuth(member.project_id, fleet.user_id), requestId: `req-rescue-run-${member.id}` }
    let prepared: Awaited<ReturnType<typeof prepareRescue>>
    try {
      prepared = await prepareRescue(this.#deps, call, member.instance_uuid, { allowBfvRescue: true, microversion: '2.87', ...(fleet.rescue_image_ref ? { rescueImageRef: fleet.rescue_image_ref } : {}) })
    } catch (error) {
      return this.#skip(member, error instanceof Error ? error.message : String(error))
    }
    try {
      const outcome = await db.transaction().execute(async (trx) => {
        // Locks the fleet's row, and only while it is still running (a stop or a cancel ends the launches).
        const locked = await trx.updateTable('rescue_runs').set({ updated_at: nowIso() }).where('id', '=', fleet.id).where('state', '=', FleetState.RUNNING).executeTakeFirst()
        if (Number(locked.numUpdatedRows) !== 1) return 'full' as const
        const flying = await trx.selectFrom('server_runs').select((eb) => eb.fn.countAll<number>().as('n')).where('fleet_id', '=', fleet.id).where('state', 'in', IN_FLIGHT_STATES).executeTakeFirstOrThrow()
        if (Number(flying.n) >= fleet.max_in_flight) return 'full' as const
        const now = nowIso()
        const claimed = await trx.updateTable('server_runs').set({ state: ServerRunState.RESCUING, started_at: now, updated_at: now }).where('id', '=', member.id).where('state', '=', ServerRunState.PENDING).executeTakeFirst()
        if (Number(claimed.numUpdatedRows) !== 1) return 'taken' as const
        const actionId = await commitRescue(trx, this.#tasks, prepared, { requestId: call.requestId, projectId: member.project_id, userId: fleet.user_id },
          { runId: member.id, script: fleet.script, timeoutSeconds: fleet.timeout_seconds })
        await trx.updateTable('server_runs').set({ action_id: actionId }).where('id', '=', member.id).execute()
        return 'launched' as const
      })
      if (outcome === 'launched') this.#tasks.notify(prepared.instance.host)
      return outcome
    } catch (error) {
      // The server changed between the checks and the transaction (another action took it): its turn is over.
      return this.#skip(member, error instanceof Error ? error.message : String(error))
    }
  }

  async #skip(member: Member, reason: string): Promise<'skipped'> {
    const now = nowIso()
    await this.#deps.db.updateTable('server_runs').set({ state: ServerRunState.SKIPPED, reason, finished_at: now, updated_at: now })
      .where('id', '=', member.id).where('state', '=', ServerRunState.PENDING).execute()
    return 'skipped'
  }

  /** Members in flight whose server was deleted meanwhile end as failed (no task of theirs will report). */
  async #reconcileDeleted(fleetId: string): Promise<void> {
    const db = this.#deps.db
    const stuck = await db.selectFrom('server_runs').innerJoin('instances', 'instances.uuid', 'server_runs.instance_uuid')
      .select('server_runs.id').where('server_runs.fleet_id', '=', fleetId).where('server_runs.state', 'in', IN_FLIGHT_STATES).where('instances.deleted', '!=', 0).execute()
    const now = nowIso()
    for (const row of stuck) {
      await db.updateTable('server_runs').set({ state: ServerRunState.FAILED, reason: 'the server was deleted', succeeded: 0, finished_at: now, updated_at: now })
        .where('id', '=', row.id).where('state', 'in', IN_FLIGHT_STATES).execute()
    }
  }

  /** Stops launching: the pending members are cancelled with the reason; those in flight finish. */
  async #stop(fleet: RescueRunsTable, state: string, reason: string): Promise<void> {
    const now = nowIso()
    await this.#deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('rescue_runs').set({ state, reason, updated_at: now }).where('id', '=', fleet.id).where('state', '=', FleetState.RUNNING).execute()
      await trx.updateTable('server_runs').set({ state: ServerRunState.CANCELLED, reason, finished_at: now, updated_at: now })
        .where('fleet_id', '=', fleet.id).where('state', '=', ServerRunState.PENDING).execute()
    })
  }

  /** Every member ended: the fleet's final state. */
  async #finishFleet(fleetId: string, failed: number, total: number): Promise<void> {
    const fleet = await this.#deps.db.selectFrom('rescue_runs').select(['state', 'reason']).where('id', '=', fleetId).executeTakeFirstOrThrow()
    const state = fleet.state === FleetState.CANCELLING ? FleetState.CANCELLED : fleet.state === FleetState.STOPPING ? FleetState.FAILED
      : failed > 0 ? FleetState.COMPLETED : FleetState.SUCCEEDED
    const now = nowIso()
    await this.#deps.db.updateTable('rescue_runs').set({ state, finished_at: now, updated_at: now, reason: fleet.reason ?? (failed > 0 ? `${failed} of ${total} failed` : null) })
      .where('id', '=', fleetId).where('state', '=', fleet.state).execute()
    this.#deps.log.info({ rescueRun: fleetId, state, servers: total, failed }, `rescue run ${fleetId} ${state}`)
  }
}

/** The unrescue policies (for schemas). */
export const UNRESCUE_POLICIES: UnrescuePolicy[] = ['on-success', 'always', 'never']
