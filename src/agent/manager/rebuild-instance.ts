import type { InstanceSpec } from '../../virt/virt-driver.js'
import type { TaskContext } from './manager-context.js'

/**
 * Nova's default rebuild (`_rebuild_default_impl`): the domain and its local
 * disks go, then the instance is spawned again from its spec, which names
 * the new image for the root and carries a new config drive (keys, user
 * data, metadata). Volumes are never touched by `destroy`. A server that
 * was stopped is powered off again, as Nova's `_do_rebuild_instance` does.
 */
export async function rebuildInstance(ctx: TaskContext, spec: InstanceSpec, wasStopped: boolean, timeoutSeconds: number): Promise<void> {
  if (await ctx.driver.getDomain(spec.instanceId)) await ctx.driver.destroy(spec.instanceId)
  await ctx.driver.spawn(spec)
  if (wasStopped) await ctx.driver.powerOff(spec.instanceId, { timeoutSeconds })
}
