/**
 * Rescue runs as the `/lifeboat/v1` API sees them (docs/rescue-runs.md):
 * fleet runs created, listed, shown and cancelled, and a server's runs. A
 * run is its creator's project's (an admin with `all_projects` may take
 * servers of any project); another project's run or server is a 404.
 */
import { randomUUID } from 'node:crypto'
import type { RescueDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { CallContext } from './call-context.js'
import type { RescueRunsTable } from '../../db/tables/rescue-run-tables.js'
import { authorize, PolicyNotAuthorized } from '../policy.js'
import { Conflict, InvalidRequest, NotFound } from '../errors.js'
import { getInstanceRow } from './instance-store.js'
import { insertServerRuns, serverRunView, ServerRunState, type RunOptions, type ServerRunView } from './rescue-run-store.js'
import { selectServers, type ServerSelector } from './rescue-fleet-select.js'
import { FleetState, RescueFleetLoop } from './rescue-fleet.js'
import { nowIso } from '../time.js'

/** A fleet run as asked for. */
export interface CreateFleetInput extends RunOptions {
  servers: ServerSelector
  maxInFlight: number
  errorBudget: { count?: number; percent?: number } | null
  canary: number
  allProjects: boolean
  /** As the rescue action's `rescue_image_ref`, for every server. */
  rescueImageRef?: string
}

/** A fleet run as clients see it (never its script). */
export interface FleetView {
  id: string
  project_id: string
  user_id: string
  state: string
  reason: string | null
  unrescue: string
  discard_on_failure: boolean
  timeout: number
  servers_selector: ServerSelector
  rescue_image_ref: string | null
  all_projects: boolean
  max_in_flight: number
  error_budget: { count: number | null; percent: number | null }
  canary: number
  counts: Record<string, number>
  created_at: string
  updated_at: string
  finished_at: string | null
  servers?: ServerRunView[]
}

const COUNTED = Object.values(ServerRunState)

/** The rescue-run API's service; it owns the fleet loop. */
export class RescueRunService {
  readonly #deps: RescueDeps
  /** The loop that drives fleet runs (the agent gateway and the periodic job call it). */
  readonly loop: RescueFleetLoop

  constructor(deps: RescueDeps, tasks: TaskQueue) {
    this.#deps = deps
    this.loop = new RescueFleetLoop(deps, tasks)
  }

  /** `POST /lifeboat/v1/rescue-runs`: resolves the servers (fixed from now on), stores the run, starts it. */
  async create(call: CallContext, input: CreateFleetInput): Promise<FleetView> {
    const auth = authorize(call.auth, 'lifeboat:rescue-runs:create', 'member')
    if (input.allProjects && !auth.isAdmin) throw new PolicyNotAuthorized('lifeboat:rescue-runs:create:all_projects')
    if (auth.projectId === null) throw new PolicyNotAuthorized('lifeboat:rescue-runs:create')
    const servers = await selectServers(this.#deps, call, input.servers, input.allProjects)
    if (servers.length === 0) throw new InvalidRequest('No server matches the servers of the rescue run.')
    const id = randomUUID()
    const now = nowIso()
    await this.#deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('rescue_runs').values({
        id, project_id: auth.projectId!, user_id: auth.userId, all_projects: input.allProjects ? 1 : 0, script: input.script, timeout_seconds: input.timeoutSeconds,
        unrescue: input.unrescue, discard_on_failure: input.discardOnFailure ? 1 : 0, selector: JSON.stringify(input.servers), rescue_image_ref: input.rescueImageRef ?? null, max_in_flight: input.maxInFlight,
        error_budget_count: input.errorBudget?.count ?? null, error_budget_percent: input.errorBudget?.percent ?? null, canary: input.canary,
        state: FleetState.RUNNING, reason: null, created_at: now, updated_at: now, finished_at: null,
      }).execute()
      await insertServerRuns(trx, servers.map((server, position) => ({ instance: server, options: input, userId: auth.userId, fleetId: id, position, state: ServerRunState.PENDING })))
    })
    this.#deps.log.info({ rescueRun: id, servers: servers.length, maxInFlight: input.maxInFlight }, `rescue run ${id} created over ${servers.length} servers`)
    await this.loop.advance(id)
    return this.show(call, id)
  }

  /** `GET /lifeboat/v1/rescue-runs`: the project's runs, newest first (every project's for an admin with `all_projects`). */
  async list(call: CallContext, allProjects: boolean): Promise<FleetView[]> {
    const auth = authorize(call.auth, 'lifeboat:rescue-runs:list', 'reader')
    let q = this.#deps.db.selectFrom('rescue_runs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc')
    if (!(auth.isAdmin && allProjects)) q = q.where('project_id', '=', auth.projectId ?? '')
    const fleets = await q.execute()
    return Promise.all(fleets.map(async (f) => this.#view(f, false)))
  }

  /** `GET /lifeboat/v1/rescue-runs/{id}`: the run with each server's state and an excerpt of its output. */
  async show(call: CallContext, id: string): Promise<FleetView> {
    return this.#view(await this.#fleet(call, id, 'lifeboat:rescue-runs:show', 'reader'), true)
  }

  /** `POST /lifeboat/v1/rescue-runs/{id}/cancel`: pending servers are cancelled; those in flight finish their step and are unrescued. */
  async cancel(call: CallContext, id: string): Promise<FleetView> {
    const fleet = await this.#fleet(call, id, 'lifeboat:rescue-runs:cancel', 'member')
    if (![FleetState.RUNNING, FleetState.STOPPING].includes(fleet.state as never)) {
      throw new Conflict(`Cannot 'cancel' rescue run ${id} while it is in state ${fleet.state}.`)
    }
    const now = nowIso()
    await this.#deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('rescue_runs').set({ state: FleetState.CANCELLING, reason: fleet.reason ?? 'cancelled', updated_at: now }).where('id', '=', id).where('state', '=', fleet.state).execute()
      await trx.updateTable('server_runs').set({ state: ServerRunState.CANCELLED, reason: 'cancelled', finished_at: now, updated_at: now })
        .where('fleet_id', '=', id).where('state', '=', ServerRunState.PENDING).execute()
    })
    await this.loop.advance(id)
    return this.show(call, id)
  }

  /** `GET /lifeboat/v1/servers/{id}/runs`: a server's runs, newest first, with their whole (capped) output; owner or admin. */
  async serverRuns(call: CallContext, serverId: string): Promise<ServerRunView[]> {
    const auth = authorize(call.auth, 'lifeboat:servers:runs', 'reader')
    await getInstanceRow(this.#deps.db, auth, serverId)
    const rows = await this.#deps.db.selectFrom('server_runs').leftJoin('instance_actions', 'instance_actions.id', 'server_runs.action_id')
      .selectAll('server_runs').select('instance_actions.request_id').where('server_runs.instance_uuid', '=', serverId)
      .where('server_runs.state', 'not in', [ServerRunState.PENDING, ServerRunState.CANCELLED, ServerRunState.SKIPPED])
      .orderBy('server_runs.created_at', 'desc').orderBy('server_runs.id', 'desc').execute()
    return rows.map((row) => serverRunView(row, { requestId: row.request_id }))
  }

  async #fleet(call: CallContext, id: string, rule: string, needs: 'reader' | 'member'): Promise<RescueRunsTable> {
    const auth = authorize(call.auth, rule, needs)
    const fleet = await this.#deps.db.selectFrom('rescue_runs').selectAll().where('id', '=', id).executeTakeFirst()
    if (!fleet || (!auth.isAdmin && fleet.project_id !== auth.projectId)) throw new NotFound(`Rescue run ${id} could not be found.`)
    return fleet
  }

  async #view(fleet: RescueRunsTable, withServers: boolean): Promise<FleetView> {
    // The list shows only counts: counted in the database, no member (nor its output) read.
    const members = withServers ? await this.#deps.db.selectFrom('server_runs').selectAll().where('fleet_id', '=', fleet.id).orderBy('position').execute() : []
    const counts = Object.fromEntries(COUNTED.map((s) => [s, 0])) as Record<string, number>
    if (withServers) {
      for (const m of members) counts[m.state] = (counts[m.state] ?? 0) + 1
    } else {
      const rows = await this.#deps.db.selectFrom('server_runs').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('fleet_id', '=', fleet.id).groupBy('state').execute()
      for (const row of rows) counts[row.state] = (counts[row.state] ?? 0) + Number(row.n)
    }
    return {
      id: fleet.id, project_id: fleet.project_id, user_id: fleet.user_id, state: fleet.state, reason: fleet.reason, unrescue: fleet.unrescue,
      discard_on_failure: fleet.discard_on_failure === 1, timeout: fleet.timeout_seconds, servers_selector: JSON.parse(fleet.selector) as ServerSelector, rescue_image_ref: fleet.rescue_image_ref,
      all_projects: fleet.all_projects === 1, max_in_flight: fleet.max_in_flight,
      error_budget: { count: fleet.error_budget_count, percent: fleet.error_budget_percent }, canary: fleet.canary, counts,
      created_at: fleet.created_at, updated_at: fleet.updated_at, finished_at: fleet.finished_at,
      ...(withServers ? { servers: members.map((m) => serverRunView(m, { excerpt: true })) } : {}),
    }
  }
}
