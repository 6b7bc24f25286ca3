import type { ResizeFlavor } from '../../agent-api/index.js'
import type { InstanceSpec } from '../../virt/virt-driver.js'
import { withEvent, type TaskContext } from './manager-context.js'

/** The spec with a flavor's vCPUs, RAM and root size (the rendered spec carries the instance's current flavor). */
export function withFlavor(spec: InstanceSpec, flavor: ResizeFlavor): InstanceSpec {
  return {
    ...spec, vcpus: flavor.vcpus, memoryMb: flavor.memoryMb,
    disks: spec.disks.map((disk) => (disk.role === 'root' && disk.source.kind === 'image' ? { ...disk, source: { ...disk.source, sizeGb: flavor.rootGb } } : disk)),
  }
}

/**
 * Resize on this host, in Nova's two compute steps and events:
 * `compute_resize_instance` (shut down, keep the disks, grow the root) and
 * `compute_finish_resize` (boot the new flavor when the server ran). On a
 * failure the kept disks go back and the old spec boots again when the
 * server ran (Nova's `InstanceFaultRollback`), then the error is reported.
 */
export async function resizeInstance(ctx: TaskContext, spec: InstanceSpec, flavor: ResizeFlavor, powerOn: boolean, timeoutSeconds: number): Promise<void> {
  const target = withFlavor(spec, flavor)
  try {
    await withEvent(ctx, 'compute_resize_instance', () => ctx.driver.resize(target, { timeoutSeconds, powerOn: false }))
    await withEvent(ctx, 'compute_finish_resize', async () => {
      if (powerOn) await ctx.driver.powerOn(target)
    })
  } catch (error) {
    await ctx.driver.revertResize(spec, { timeoutSeconds, powerOn }).catch((rollback: unknown) =>
      ctx.log.warn({ err: rollback, server: spec.instanceId }, `the resize of server ${spec.instanceId} failed and its disks could not be put back`))
    throw error
  }
}

/** Revert: Nova's `compute_finish_revert_resize` step, the old flavor's spec booted when the server ran. */
export async function revertResizeInstance(ctx: TaskContext, spec: InstanceSpec, flavor: ResizeFlavor, powerOn: boolean, timeoutSeconds: number): Promise<void> {
  const target = withFlavor(spec, flavor)
  await withEvent(ctx, 'compute_finish_revert_resize', () => ctx.driver.revertResize(target, { timeoutSeconds, powerOn }))
}
