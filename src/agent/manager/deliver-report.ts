import { setTimeout as sleep } from 'node:timers/promises'
import type { AgentTask, FinishTaskRequest } from '../../agent-api/index.js'
import { AgentApiError } from '../agent-api-client.js'
import type { ManagerContext } from './manager-context.js'

const FIRST_RETRY_MS = 500
const MAX_RETRY_MS = 5000

/** Whether a failed call may succeed later: the control plane unreachable or failing (5xx), not refusing (4xx). */
function transient(error: unknown): boolean {
  return !(error instanceof AgentApiError) || error.status >= 500
}

/**
 * Sends a task's result until the control plane takes it. The work is done
 * (a guest booted, a disk changed): a result lost while the control plane
 * restarts would leave the server in its task state under a lease the
 * heartbeats keep renewing. So an unreachable or failing control plane is
 * asked again, with a growing pause, until it answers or the agent stops;
 * a refusal (the task is gone, the credential rotated) ends it at once.
 * Sending twice is harmless: a finished task ignores a second result.
 */
export async function deliverReport(ctx: ManagerContext, task: AgentTask, request: FinishTaskRequest): Promise<void> {
  let pause = FIRST_RETRY_MS
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.api.finish(task.id, request)
      if (attempt > 1) ctx.log.info({ task: task.id, server: task.instanceUuid, attempts: attempt }, `the result of task ${task.task.kind} of server ${task.instanceUuid} was delivered after ${attempt} attempts`)
      return
    } catch (error) {
      if (!transient(error) || ctx.stopping?.aborted) throw error
      if (attempt === 1) ctx.log.warn({ err: error, task: task.id, server: task.instanceUuid }, `the result of task ${task.task.kind} of server ${task.instanceUuid} could not be delivered; retrying until the control plane answers`)
    }
    await sleep(pause, undefined, { signal: ctx.stopping }).catch(() => undefined)
    pause = Math.min(pause * 2, MAX_RETRY_MS)
  }
}
