import { Type, type Static } from '@sinclair/typebox'
import type { RunOptions } from '../../../services/compute/rescue-run-store.js'

/** A script's size limit (the request body limit is larger; the output is capped at 64 KiB separately). */
const MAX_SCRIPT_BYTES = 256 * 1024

/** What a run is: the script, its timeout, the unrescue policy, discard on failure (docs/rescue-runs.md). */
export const RunOptionsProperties = {
  script: Type.String({ minLength: 1, maxLength: MAX_SCRIPT_BYTES }),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 3600 })),
  unrescue: Type.Optional(Type.Union([Type.Literal('on-success'), Type.Literal('always'), Type.Literal('never')])),
  discard_on_failure: Type.Optional(Type.Boolean()),
}

/** The rescue action's `lifeboat:run`. */
export const RescueRunBody = Type.Object(RunOptionsProperties, { additionalProperties: false })
export type RescueRunBody = Static<typeof RescueRunBody>

/** A run's timeout when none is given: ten minutes. */
export const DEFAULT_RUN_TIMEOUT_SECONDS = 600

/** The service's run options from a checked body (defaults: 600 s, unrescue on success, keep changes). */
export function runOptionsOf(body: { script: string; timeout?: number; unrescue?: RunOptions['unrescue']; discard_on_failure?: boolean }): RunOptions {
  return { script: body.script, timeoutSeconds: body.timeout ?? DEFAULT_RUN_TIMEOUT_SECONDS, unrescue: body.unrescue ?? 'on-success', discardOnFailure: body.discard_on_failure ?? false }
}
