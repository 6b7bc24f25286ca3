import fs from 'node:fs'
import path from 'node:path'
import type { AgentTask } from '../../agent-api/index.js'
import type { InstanceSpec } from '../../virt/virt-driver.js'
import type { TaskContext } from './manager-context.js'

/** Copies the root disk (flattened) into a scratch file and uploads it as the queued image `imageId`. */
export async function uploadRootSnapshot(ctx: TaskContext, task: Pick<AgentTask, 'id' | 'instanceUuid'>, imageId: string): Promise<void> {
  const target = path.join(ctx.workDir, `snapshot-${task.id}.qcow2`)
  fs.mkdirSync(ctx.workDir, { recursive: true })
  try {
    await ctx.driver.snapshot(task.instanceUuid, { path: target, format: 'qcow2' })
    await ctx.api.uploadImage(imageId, target)
  } finally {
    fs.rmSync(target, { force: true })
  }
}

/**
 * Nova's `_shelve_instance`: the guest is powered off (cleanly, within the
 * timeout), then its root disk goes into the shelve image; with `offload`
 * (`shelved_offload_time` 0, or a volume-backed server) the domain and its
 * local disks are removed at once (`_shelve_offload_instance`). Volumes are
 * never touched.
 */
export async function shelveInstance(ctx: TaskContext, task: AgentTask, job: { imageId: string | null; offload: boolean }): Promise<void> {
  const id = task.instanceUuid
  const domain = await ctx.driver.getDomain(id)
  if (domain) await ctx.driver.powerOff(id, { timeoutSeconds: task.shutdownTimeoutSeconds })
  if (job.imageId) await uploadRootSnapshot(ctx, task, job.imageId)
  if (job.offload && domain) await ctx.driver.destroy(id)
}

/** Nova's `shelve_offload_instance`: the shelved guest's domain and local disks leave the host. */
export async function offloadInstance(ctx: TaskContext, instanceId: string): Promise<void> {
  if (await ctx.driver.getDomain(instanceId)) await ctx.driver.destroy(instanceId)
}

/**
 * Nova's `unshelve_instance` (offloaded: the spec's root is the shelve image,
 * rendered so by the control plane, or the root volume) or `start_instance`
 * (shelved on this host: the guest is powered on as it was).
 */
export async function unshelveInstance(ctx: TaskContext, spec: InstanceSpec, offloaded: boolean): Promise<void> {
  if (!offloaded) {
    await ctx.driver.powerOn(spec)
    return
  }
  // A domain left by an earlier failed attempt goes first: the disks are made again from the image.
  if (await ctx.driver.getDomain(spec.instanceId)) await ctx.driver.destroy(spec.instanceId)
  await ctx.driver.spawn(spec)
}
