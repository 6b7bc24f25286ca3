import type { AgentApiClient } from '../agent-api-client.js'
import type { ImageFiles } from '../image-files.js'
import type { VirtDriver } from '../../virt/virt-driver.js'
import type { TaskEventStream } from '../task-event-stream.js'
import type { AgentLog } from '../compute-agent.js'
import { describeFailure } from './task-failures.js'

/** What the compute manager works with on an agent. */
export interface ManagerContext {
  api: AgentApiClient
  driver: VirtDriver
  images: ImageFiles
  session: string
  /** A scratch folder for snapshots. */
  workDir: string
  /** This agent's compute host. */
  host: string
  /** The manager's log (component compute-manager). */
  log: AgentLog
  /** Aborted when the agent stops: a result still waiting for the control plane is given up then. */
  stopping?: AbortSignal
}

/** What the manager works with while it runs one task. */
export interface TaskContext extends ManagerContext {
  /** The task's instance-action events. */
  events: TaskEventStream
}

/** Records one step of the task's instance action (start, then finish with the result). */
export async function withEvent<T>(ctx: TaskContext, event: string, step: () => Promise<T>): Promise<T> {
  ctx.events.record({ event, phase: 'start' })
  try {
    const result = await step()
    ctx.events.record({ event, phase: 'finish', result: 'Success' })
    return result
  } catch (error) {
    const failure = describeFailure(error)
    ctx.events.record({ event, phase: 'finish', result: 'Error', details: failure.reason, detail: failure.detail })
    throw error
  }
}
