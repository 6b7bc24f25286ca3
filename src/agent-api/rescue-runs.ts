/**
 * A rescue run in the agent contract: the script a rescue task carries (the
 * one task that ever carries it) and the result the agent reports back in the
 * rescue task's `output.run`.
 */
import { Type, type Static } from '@sinclair/typebox'

/** Output kept of a run (the tail: the end of a script's output says most about how it ended). */
export const RUN_OUTPUT_MAX_BYTES = 64 * 1024

/** The script to run in the rescue system, and for how long it may run. */
export const RescueRunTaskSchema = Type.Object({
  runId: Type.String({ maxLength: 64 }),
  /** Random hex, made when the run was queued: only a frame with it is the result (a retried task waits for the same one). */
  nonce: Type.String({ pattern: '^[0-9a-f]{32}$' }),
  script: Type.String({ minLength: 1, maxLength: 256 * 1024 }),
  timeoutSeconds: Type.Integer({ minimum: 1, maximum: 24 * 3600 }),
})
export type RescueRunTask = Static<typeof RescueRunTaskSchema>

/** How a run ended, as the agent saw it (exitStatus null: no result came back). */
export const RescueRunResultSchema = Type.Object({
  exitStatus: Type.Union([Type.Integer(), Type.Null()]),
  /** stdout and stderr together, the last RUN_OUTPUT_MAX_BYTES of them. */
  output: Type.String({ maxLength: RUN_OUTPUT_MAX_BYTES * 2 }),
  outputTruncated: Type.Boolean(),
  durationMs: Type.Integer({ minimum: 0 }),
  timedOut: Type.Boolean(),
  /** Why there is no exit status (e.g. `timed out`), short. */
  error: Type.Optional(Type.String({ maxLength: 255 })),
})
export type RescueRunResult = Static<typeof RescueRunResultSchema>
