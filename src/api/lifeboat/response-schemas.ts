import { Type, type TSchema } from '@sinclair/typebox'

/** Response schemas of the `/lifeboat/v1` routes (closed objects: only what the views name goes out). */
const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Any = Type.Unknown()

const Finding = Closed({
  rule: Any, title: Any, severity: Any, explanation: Any,
  lines: Type.Array(Closed({ number: Any, text: Any })),
  line_count: Any,
  captures: Type.Record(Type.String(), Type.Array(Type.String())),
  repair_script: Any,
})

/** `GET /lifeboat/v1/servers/{id}/diagnosis`. */
export const DiagnosisResponse = {
  200: Closed({ diagnosis: Closed({ server_id: Any, rules_version: Any, console_lines: Any, findings: Type.Array(Finding) }) }),
}

/** `GET /lifeboat/v1/diagnosis-rules`. */
export const DiagnosisRulesResponse = {
  200: Closed({
    rules_version: Any,
    rules: Type.Array(Closed({ id: Any, title: Any, severity: Any, explanation: Any, patterns: Type.Array(Type.String()) })),
  }),
}

/** `GET /lifeboat/v1`: the extension's version and resources. */
export const LifeboatVersionResponse = {
  200: Closed({ version: Closed({ id: Any, status: Any, links: Type.Array(Closed({ href: Any, rel: Any })) }) }),
}

const ServerRun = Closed({
  id: Any, server_id: Any, rescue_run_id: Any, state: Any, reason: Any, unrescue: Any, discard_on_failure: Any, timeout: Any,
  exit_status: Any, timed_out: Any, duration_ms: Any, output: Any, output_truncated: Any, request_id: Any,
  created_at: Any, started_at: Any, finished_at: Any,
})

const RescueRun = Closed({
  id: Any, project_id: Any, user_id: Any, state: Any, reason: Any, unrescue: Any, discard_on_failure: Any, timeout: Any,
  servers_selector: Closed({ ids: Type.Optional(Type.Array(Type.String())), name: Type.Optional(Any), tag: Type.Optional(Any), status: Type.Optional(Any) }),
  rescue_image_ref: Any, all_projects: Any, max_in_flight: Any, error_budget: Closed({ count: Any, percent: Any }), canary: Any,
  counts: Type.Record(Type.String(), Type.Integer()), created_at: Any, updated_at: Any, finished_at: Any,
  servers: Type.Optional(Type.Array(ServerRun)),
})

/** `GET /lifeboat/v1/servers/{id}/runs`. */
export const ServerRunsResponse = { 200: Closed({ runs: Type.Array(ServerRun) }) }

/** `POST /lifeboat/v1/rescue-runs` (201), `GET …/{id}`, `POST …/{id}/cancel` (202). */
export const RescueRunResponse = { 200: Closed({ rescue_run: RescueRun }), 201: Closed({ rescue_run: RescueRun }), 202: Closed({ rescue_run: RescueRun }) }

/** `GET /lifeboat/v1/rescue-runs`. */
export const RescueRunListResponse = { 200: Closed({ rescue_runs: Type.Array(RescueRun) }) }
