/**
 * Rescue runs' rows (`server_runs`, `rescue_runs`; docs/rescue-runs.md): the
 * options of a run, inserting a server's run, and the views clients read.
 * The script is never part of a view.
 */
import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/schema.js'
import type { ServerRunsTable } from '../../db/tables/rescue-run-tables.js'
import type { InstanceRow } from './instance-store.js'
import { nowIso } from '../time.js'

/** When the server is unrescued after its run: only when it succeeded, always, or never (left rescued). */
export type UnrescuePolicy = 'on-success' | 'always' | 'never'

/** A run as asked for (`lifeboat:run`, or a fleet run's options). */
export interface RunOptions {
  script: string
  timeoutSeconds: number
  unrescue: UnrescuePolicy
  /** On unrescue after a failed run, restore the root as it was before the rescue. */
  discardOnFailure: boolean
}

/** A server run's states; the last five are final. */
export const ServerRunState = {
  PENDING: 'pending', RESCUING: 'rescuing', RUNNING: 'running', UNRESCUING: 'unrescuing',
  SUCCEEDED: 'succeeded', FAILED: 'failed', SKIPPED: 'skipped', CANCELLED: 'cancelled',
} as const
/** States of a server run still on its way (counted as in flight when not pending). */
export const IN_FLIGHT_STATES = [ServerRunState.RESCUING, ServerRunState.RUNNING, ServerRunState.UNRESCUING]

/** What a server run is inserted with. */
interface ServerRunInput { instance: Pick<InstanceRow, 'uuid' | 'project_id'>; options: RunOptions; userId: string; fleetId?: string; position?: number; state?: string }

/** The row of a new server run. */
function serverRunRow(input: ServerRunInput, now: string) {
  return {
    id: randomUUID(), fleet_id: input.fleetId ?? null, position: input.position ?? 0, instance_uuid: input.instance.uuid, project_id: input.instance.project_id,
    user_id: input.userId, state: input.state ?? ServerRunState.RESCUING, reason: null, timeout_seconds: input.options.timeoutSeconds,
    unrescue: input.options.unrescue, discard_on_failure: input.options.discardOnFailure ? 1 : 0, exit_status: null, output: null,
    output_truncated: 0, duration_ms: null, timed_out: 0, succeeded: null, action_id: null, created_at: now, updated_at: now,
    started_at: input.state === ServerRunState.PENDING ? null : now, finished_at: null,
  }
}

/** Inserts a run of one server; answers its id. */
export async function insertServerRun(trx: Db, input: ServerRunInput): Promise<string> {
  const row = serverRunRow(input, nowIso())
  await trx.insertInto('server_runs').values(row).execute()
  return row.id
}

/** Rows per INSERT: 22 columns each stays far below SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_CHUNK = 200

/** Inserts many server runs (a fleet's members) with a few multi-row INSERTs. */
export async function insertServerRuns(trx: Db, inputs: ServerRunInput[]): Promise<void> {
  const now = nowIso()
  const rows = inputs.map((input) => serverRunRow(input, now))
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await trx.insertInto('server_runs').values(rows.slice(i, i + INSERT_CHUNK)).execute()
}

/** A server run as clients see it. */
export interface ServerRunView {
  id: string
  server_id: string
  rescue_run_id: string | null
  state: string
  reason: string | null
  unrescue: string
  discard_on_failure: boolean
  timeout: number
  exit_status: number | null
  timed_out: boolean
  duration_ms: number | null
  output: string | null
  output_truncated: boolean
  request_id: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
}

/** The view of a row; `excerpt` keeps only the output's last 2 KiB (fleet listings). */
export function serverRunView(row: ServerRunsTable, options: { excerpt?: boolean; requestId?: string | null } = {}): ServerRunView {
  const output = row.output === null ? null : options.excerpt ? Buffer.from(row.output).subarray(-2048).toString('utf8') : row.output
  return {
    id: row.id, server_id: row.instance_uuid, rescue_run_id: row.fleet_id, state: row.state, reason: row.reason, unrescue: row.unrescue,
    discard_on_failure: row.discard_on_failure === 1, timeout: row.timeout_seconds, exit_status: row.exit_status, timed_out: row.timed_out === 1,
    duration_ms: row.duration_ms, output, output_truncated: row.output_truncated === 1 || (options.excerpt === true && output !== row.output),
    request_id: options.requestId ?? null, created_at: row.created_at, started_at: row.started_at, finished_at: row.finished_at,
  }
}
