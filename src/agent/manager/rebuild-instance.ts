import type { AgentTask } from '../../agent-api/index.js'
import type { InstanceSpec } from '../../virt/virt-driver.js'
import type { TaskContext } from './manager-context.js'

/** The task_states a rebuild reports as it reaches them (Nova's `_rebuild_default_impl`). */
export type RebuildStep = 'rebuild_block_device_mapping' | 'rebuild_spawning'

/** How a rebuild goes beyond the default. */
export interface RebuildOptions {
  /** Nova's `preserve_ephemeral`: the ephemeral disks keep their files. */
  preserveEphemeral?: boolean
  /** Called at each step before going on (the agent tells the control plane). */
  onStep?: (step: RebuildStep) => Promise<void>
}

/**
 * Nova's default rebuild (`_rebuild_default_impl`): the domain and its local
 * disks go (the ephemeral ones stay with `preserveEphemeral`), task_state
 * `rebuild_block_device_mapping` (volumes are never touched by `destroy`),
 * then `rebuild_spawning` and the instance is spawned again from its spec,
 * which names the new image for the root and carries a new config drive
 * (keys, user data, metadata). A server that was stopped is powered off
 * again, as Nova's `_do_rebuild_instance` does.
 */
export async function rebuildInstance(ctx: TaskContext, spec: InstanceSpec, wasStopped: boolean, timeoutSeconds: number, options: RebuildOptions = {}): Promise<void> {
  const keepDisks = options.preserveEphemeral ? spec.disks.filter((disk) => disk.role === 'ephemeral').map((disk) => disk.name) : []
  if (await ctx.driver.getDomain(spec.instanceId)) await ctx.driver.destroy(spec.instanceId, { keepDisks })
  await options.onStep?.('rebuild_block_device_mapping')
  await options.onStep?.('rebuild_spawning')
  await ctx.driver.spawn(spec)
  if (wasStopped) await ctx.driver.powerOff(spec.instanceId, { timeoutSeconds })
}

/**
 * The agent's step reporter: tells the control plane the rebuild reached its
 * next step. Best effort: a control plane that misses a step still gets the
 * result, which ends the task_state anyway.
 */
export function reportRebuildStep(ctx: TaskContext, task: AgentTask): (step: RebuildStep) => Promise<void> {
  return async (taskState) => {
    try {
      await ctx.api.taskStep(task.id, { session: ctx.session, taskState })
    } catch (error) {
      ctx.log.warn({ err: error, task: task.id, server: task.instanceUuid }, `the step ${taskState} of the rebuild of server ${task.instanceUuid} could not be reported`)
    }
  }
}
