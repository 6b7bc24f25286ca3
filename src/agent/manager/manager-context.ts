import type { AgentApiClient } from '../agent-api-client.js'
import type { ImageFiles } from '../image-files.js'
import type { VirtDriver } from '../../virt/virt-driver.js'
import type { AgentTask } from '../agent-protocol.js'

/** What the compute manager works with on an agent. */
export interface ManagerContext {
  api: AgentApiClient
  driver: VirtDriver
  images: ImageFiles
  session: string
  /** A scratch folder for snapshots. */
  workDir: string
}

/** Records one step of the task's instance action (start, then finish with the result). */
export async function withEvent<T>(ctx: ManagerContext, task: AgentTask, event: string, step: () => Promise<T>): Promise<T> {
  await ctx.api.event(task.id, { session: ctx.session, event, phase: 'start' })
  try {
    const result = await step()
    await ctx.api.event(task.id, { session: ctx.session, event, phase: 'finish', result: 'Success' })
    return result
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    await ctx.api.event(task.id, { session: ctx.session, event, phase: 'finish', result: 'Error', details: reason }).catch(() => undefined)
    throw error
  }
}
