import type { AgentTask, MigratingRescue } from '../../agent-api/index.js'
import { DriverError, type InstanceSpec, type RescueSpec } from '../../virt/virt-driver.js'
import { withEvent, type TaskContext } from './manager-context.js'

/**
 * The rescue a moved rescued server has on its new host (beyond Nova): the
 * decision it was rescued with, the rescue image as the control plane
 * rendered it (fetched here if this host has no copy) and the rescue's
 * config drive.
 */
export async function movedRescueSpec(ctx: TaskContext, instance: InstanceSpec, decided: MigratingRescue, rendered: AgentTask['rescue']): Promise<RescueSpec> {
  const image = rendered?.image
  if (!image || image.status !== 'active') throw new DriverError(`rescue image ${decided.imageId} is no longer available on this host`)
  const path = await ctx.images.localPath(image)
  return {
    instance, mode: decided.mode, rescueImage: { imageId: image.id, path, format: image.diskFormat, properties: image.properties },
    rescueDevice: decided.device, rescueBus: decided.bus, rescueConfigDrive: rendered.configDrive, snapshotRoot: decided.snapshotRoot,
  }
}

/**
 * An evacuated rescued server, rebuilt on this host: rescued again as it
 * was (same image, mode, device and bus), so it arrives rescued and unrescue
 * boots the rebuilt original.
 */
export async function rescueAgain(ctx: TaskContext, task: AgentTask, instance: InstanceSpec, decided: MigratingRescue): Promise<void> {
  await withEvent(ctx, 'lifeboat_rescue_boot', async () => {
    const spec = await movedRescueSpec(ctx, instance, decided, task.rescue)
    await ctx.driver.rescue(spec, { timeoutSeconds: task.shutdownTimeoutSeconds })
  })
}
