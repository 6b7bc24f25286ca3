import type { RescueRunResult, RescueRunTask } from '../../agent-api/index.js'
import { RUN_OUTPUT_MAX_BYTES } from '../../agent-api/index.js'
import type { ConfigDriveSpec, RescueRunSpec } from '../../virt/virt-driver.js'
import type { TaskContext } from './manager-context.js'
import { buildRunWrapper, tailBytes } from '../../util/rescue-run-frame.js'
import { describeFailure } from './task-failures.js'

/** The guest device of the result channel (the QEMU driver's second serial port). */
const RUN_CHANNEL = '/dev/ttyS1'

/**
 * Seconds the agent waits past the script's timeout before it gives up on a
 * frame: the rescue system's boot (slow under TCG) and the wrapper's own
 * TERM→KILL grace and serial write. The fake driver boots nothing.
 */
function slackSeconds(driverName: string): number {
  return driverName === 'fake' ? 2 : 600
}

/** A run ready to boot with: its nonce and the rescue config drive with the wrapper as user data. */
export interface PreparedRun {
  spec: RescueRunSpec
  configDrive: ConfigDriveSpec | null
}

/** The run's nonce (from the control plane); the wrapper replaces any user data of the server on the rescue's config drive. */
export function prepareRun(run: RescueRunTask, configDrive: ConfigDriveSpec | null): PreparedRun {
  const spec: RescueRunSpec = { nonce: run.nonce, script: run.script, timeoutSeconds: run.timeoutSeconds }
  const userData = buildRunWrapper({ script: run.script, nonce: spec.nonce, timeoutSeconds: run.timeoutSeconds, maxOutputBytes: RUN_OUTPUT_MAX_BYTES, channel: RUN_CHANNEL })
  return { spec, configDrive: configDrive ? { ...configDrive, userData } : null }
}

/** The event's `details`: what users read in the instance action (never the output itself). */
function summary(result: RescueRunResult): string {
  if (result.exitStatus === null) return `Rescue run failed: ${result.error ?? 'no result'}.`
  const seconds = (result.durationMs / 1000).toFixed(1)
  const timed = result.timedOut ? `, timed out after ${seconds} s` : ` in ${seconds} s`
  return `Rescue run exited with status ${result.exitStatus}${timed}; ${Buffer.byteLength(result.output)} bytes of output.`
}

/**
 * Waits for the run's result (event `lifeboat_rescue_run`): the frame the
 * driver reads off the channel, or none by the timeout and the slack, which
 * is a failed run "timed out". Never logs the script or the output.
 */
export async function awaitRun(ctx: TaskContext, instanceId: string, spec: RescueRunSpec): Promise<RescueRunResult> {
  const event = 'lifeboat_rescue_run'
  ctx.events.record({ event, phase: 'start' })
  const started = Date.now()
  const deadline = started + (spec.timeoutSeconds + slackSeconds(ctx.driver.name)) * 1000
  let result: RescueRunResult
  try {
    const outcome = await ctx.driver.awaitRescueRun(instanceId, spec, deadline)
    if (outcome) {
      const tail = tailBytes(outcome.output, RUN_OUTPUT_MAX_BYTES)
      result = { exitStatus: outcome.exitStatus, output: tail.text, outputTruncated: outcome.outputTruncated || tail.truncated, durationMs: outcome.durationMs, timedOut: outcome.timedOut }
    } else {
      result = { exitStatus: null, output: '', outputTruncated: false, durationMs: Date.now() - started, timedOut: true, error: 'timed out' }
    }
  } catch (error) {
    const failure = describeFailure(error)
    result = { exitStatus: null, output: '', outputTruncated: false, durationMs: Date.now() - started, timedOut: false, error: failure.reason.slice(0, 255) }
  }
  const ok = result.exitStatus === 0 && !result.timedOut
  ctx.events.record({ event, phase: 'finish', result: ok ? 'Success' : 'Error', details: summary(result) })
  return result
}
