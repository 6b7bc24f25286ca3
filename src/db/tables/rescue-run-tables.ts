/** Row types of the rescue runs (migration 2026-12-07-040; docs/rescue-runs.md). */

/** A fleet run: the script, the servers' selector as given, the rate, the budget, the state. */
export interface RescueRunsTable {
  id: string
  project_id: string
  user_id: string
  all_projects: number
  /** Kept for the servers still to run; never shown in a listing, never logged. */
  script: string
  timeout_seconds: number
  /** `on-success` | `always` | `never`. */
  unrescue: string
  discard_on_failure: number
  /** The `servers` selector as given (JSON), for the record: the set itself is the fleet's server_runs rows. */
  selector: string
  /** The rescue image of every server's rescue (null: each server's usual choice, as a rescue without `rescue_image_ref`). */
  rescue_image_ref: string | null
  max_in_flight: number
  error_budget_count: number | null
  error_budget_percent: number | null
  canary: number
  /** `running` | `stopping` | `cancelling` | `succeeded` | `failed` | `cancelled`. */
  state: string
  reason: string | null
  created_at: string
  updated_at: string
  finished_at: string | null
}

/** One server's run: alone (fleet_id null) or a fleet's member, at `position` in its order. */
export interface ServerRunsTable {
  id: string
  fleet_id: string | null
  position: number
  instance_uuid: string
  project_id: string
  user_id: string
  /** `pending` | `rescuing` | `running` | `unrescuing` | `succeeded` | `failed` | `skipped` | `cancelled`. */
  state: string
  reason: string | null
  timeout_seconds: number
  unrescue: string
  discard_on_failure: number
  exit_status: number | null
  output: string | null
  output_truncated: number
  duration_ms: number | null
  timed_out: number
  /** The script's outcome once known (1: exit 0 in time), null before. */
  succeeded: number | null
  /** The rescue's instance action (its `lifeboat_rescue_run` event has the result). */
  action_id: string | null
  created_at: string
  updated_at: string
  started_at: string | null
  finished_at: string | null
}

/** The rescue-run tables. */
export interface RescueRunTables {
  rescue_runs: RescueRunsTable
  server_runs: ServerRunsTable
}
