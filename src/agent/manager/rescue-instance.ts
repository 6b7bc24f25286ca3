import type { AgentImageInfo, AgentTask } from '../../agent-api/index.js'
import type { InstanceSpec, RescueSpec } from '../../virt/virt-driver.js'
import { PowerState } from '../../virt/virt-driver.js'
import { withEvent, type ManagerContext, type TaskContext } from './manager-context.js'
import { AgentErrorCode } from '../error-codes.js'
import { describeFailure } from './task-failures.js'
import { prepareRun, awaitRun } from './rescue-run.js'

/** Why a rescue could not be done; the message reaches the action event. */
export class RescueError extends Error {
  override readonly name = 'RescueError'
  /** A code of `AgentErrorCode`, for logs and tests. */
  readonly code: AgentErrorCode
  constructor(message: string, code: AgentErrorCode) {
    super(message)
    this.code = code
  }
}

/**
 * The image the control plane decided on, if it can still be booted. It is
 * never replaced by another: a rescue image deleted (or deactivated) since
 * the request was accepted fails the rescue, and the server goes back.
 */
function decidedImage(imageId: string, image: AgentImageInfo | null): AgentImageInfo {
  if (!image) throw new RescueError(`rescue image ${imageId} is no longer available (deleted after the rescue was accepted)`, AgentErrorCode.RESCUE_IMAGE_UNAVAILABLE)
  if (image.status !== 'active') throw new RescueError(`rescue image ${imageId} is no longer available (status ${image.status})`, AgentErrorCode.RESCUE_IMAGE_UNAVAILABLE)
  return image
}

/**
 * The agent's rescue, as the control plane decided it (image, mode, device,
 * bus): check the image is still there, shut the guest down cleanly, boot the
 * rescue layout. Each step is an event. If a step fails, the guest is put back
 * as it was (running again if it ran) before the failure is reported.
 */
export async function rescueInstance(ctx: TaskContext, task: AgentTask): Promise<Record<string, unknown> | undefined> {
  if (task.task.kind !== 'rescue' || !task.rescue) throw new RescueError('not a rescue task', AgentErrorCode.WRONG_TASK)
  const rescue = task.rescue
  const { imageId, mode, device, bus, snapshotRoot } = task.task
  // A run's task leased again (the agent or control plane restarted mid-run) finds its rescue booted: it waits for
  // the same run's frame instead of rescuing twice.
  const current = task.task.run && task.attempts > 1 ? await ctx.driver.getDomain(task.instanceUuid) : null
  if (task.task.run && current?.rescued) return { run: await awaitRun(ctx, task.instanceUuid, prepareRun(task.task.run, null).spec) }
  // The event keeps its name: the step is still where the rescue image is settled (now: checked, not chosen).
  const image = await withEvent(ctx, 'lifeboat_rescue_choose_image', async () => decidedImage(imageId, rescue.image))
  const before = await ctx.driver.getDomain(task.instanceUuid)
  const wasRunning = before?.powerState === PowerState.RUNNING
  // Fetched while the guest still runs: the time it is down is only shutdown and boot.
  const rescueImagePath = await ctx.images.localPath(image)
  // A run's script goes in as the rescue's user data, inside the wrapper that reports on the result channel.
  const run = task.task.run ? prepareRun(task.task.run, rescue.configDrive) : null
  const spec: RescueSpec = {
    instance: task.instance, mode,
    rescueImage: { imageId: image.id, path: rescueImagePath, format: image.diskFormat, properties: image.properties },
    rescueDevice: device, rescueBus: bus, rescueConfigDrive: run?.configDrive ?? rescue.configDrive, snapshotRoot,
    ...(run ? { run: run.spec } : {}),
  }
  // The driver shuts the guest down itself (preparing the rescue disks meanwhile) and says when it is down.
  let step = 'lifeboat_rescue_shutdown'
  ctx.events.record({ event: step, phase: 'start' })
  try {
    await ctx.driver.rescue(spec, {
      timeoutSeconds: task.shutdownTimeoutSeconds,
      onShutDown: () => {
        ctx.events.record({ event: step, phase: 'finish', result: 'Success' })
        step = 'lifeboat_rescue_boot'
        ctx.events.record({ event: step, phase: 'start' })
      },
    })
    ctx.events.record({ event: step, phase: 'finish', result: 'Success' })
  } catch (error) {
    const failure = describeFailure(error)
    ctx.events.record({ event: step, phase: 'finish', result: 'Error', details: failure.reason, detail: failure.detail })
    await restoreAfterFailedRescue(ctx, task.instance, wasRunning)
    throw error
  }
  if (run) return { run: await awaitRun(ctx, task.instanceUuid, run.spec) }
  return undefined
}

async function restoreAfterFailedRescue(ctx: ManagerContext, instance: InstanceSpec, wasRunning: boolean): Promise<void> {
  const domain = await ctx.driver.getDomain(instance.instanceId)
  if (domain?.rescued) await ctx.driver.unrescue(instance, { discardChanges: false, timeoutSeconds: 0 }).catch((error: unknown) => ctx.log.warn({ err: error, server: instance.instanceId }, 'a failed rescue could not be undone (unrescue)'))
  if (wasRunning) {
    const now = await ctx.driver.getDomain(instance.instanceId)
    if (now?.powerState !== PowerState.RUNNING) await ctx.driver.powerOn(instance).catch((error: unknown) => ctx.log.warn({ err: error, server: instance.instanceId }, 'after a failed rescue the server could not be powered on again'))
  }
}

/** The agent's unrescue: the rescue disk goes, the original layout boots (root restored first with `discard`). */
export async function unrescueInstance(ctx: TaskContext, task: AgentTask): Promise<void> {
  if (task.task.kind !== 'unrescue') throw new RescueError('not an unrescue task', AgentErrorCode.WRONG_TASK)
  const discard = task.task.discard
  await withEvent(ctx, 'lifeboat_unrescue_boot', () => ctx.driver.unrescue(task.instance, { discardChanges: discard, timeoutSeconds: task.shutdownTimeoutSeconds }))
}
