import type { AgentImageInfo, AgentTask } from '../agent-protocol.js'
import type { DeviceType, DiskBus, InstanceSpec, RescueSpec } from '../../virt/virt-driver.js'
import { DEVICE_TYPES, DISK_BUSES, PowerState } from '../../virt/virt-driver.js'
import { withEvent, type ManagerContext, type TaskContext } from './manager-context.js'

/** Why a rescue could not be done; the message reaches the action event. */
export class RescueError extends Error {
  override readonly name = 'RescueError'
}

/**
 * The image a rescue boots (Nova's `_get_rescue_image`, extended):
 * 1. `rescue_image_ref` from the request;
 * 2. else the image the server was built from;
 * 3. else, for a volume-backed server, the image recorded in the root
 *    volume's `volume_image_metadata`;
 * 4. else the operator's default rescue image;
 * else the rescue is refused.
 */
export function chooseRescueImage(candidates: NonNullable<AgentTask['rescue']>['candidates']): { image: AgentImageInfo; source: string } {
  for (const candidate of candidates) {
    const image = candidate.image
    if (image && image.status === 'active') return { image, source: candidate.source }
    if (candidate.source === 'request') throw new RescueError(`Requested rescue image '${candidate.imageId}' is not supported`)
  }
  throw new RescueError('no rescue image: the request names none, the server has no image, and there is no default rescue image')
}

/** Stable device rescue when the image sets `hw_rescue_device` or `hw_rescue_bus`; legacy otherwise. */
export function rescueMode(properties: Record<string, string>): 'stable' | 'legacy' {
  return properties.hw_rescue_device !== undefined || properties.hw_rescue_bus !== undefined ? 'stable' : 'legacy'
}

/** Device and bus of the rescue disk, with Nova's defaults (disk; virtio for disks, ide for cdroms, fdc for floppies). */
export function rescueDeviceAndBus(properties: Record<string, string>): { device: DeviceType; bus: DiskBus } {
  const device = (properties.hw_rescue_device ?? 'disk') as DeviceType
  if (!DEVICE_TYPES.includes(device)) throw new RescueError(`unknown hw_rescue_device ${device}`)
  const fallback: DiskBus = device === 'cdrom' ? 'ide' : device === 'floppy' ? 'fdc' : 'virtio'
  const bus = (properties.hw_rescue_bus ?? fallback) as DiskBus
  if (!DISK_BUSES.includes(bus)) throw new RescueError(`unknown hw_rescue_bus ${bus}`)
  return { device, bus }
}

/**
 * The agent's rescue: choose the image, shut the guest down cleanly, boot the
 * rescue layout. Each step is an event. If a step fails, the guest is put back
 * as it was (running again if it ran) before the failure is reported.
 */
export async function rescueInstance(ctx: TaskContext, task: AgentTask): Promise<{ imageId: string; mode: 'stable' | 'legacy' }> {
  if (task.task.kind !== 'rescue' || !task.rescue) throw new RescueError('not a rescue task')
  const rescue = task.rescue
  const snapshotRoot = task.task.snapshotRoot
  const { image } = await withEvent(ctx, 'lifeboat_rescue_choose_image', async () => chooseRescueImage(rescue.candidates))
  const mode = rescueMode(image.properties)
  if (mode === 'legacy' && rescue.volumeBacked) throw new RescueError('Cannot rescue a volume-backed instance without hw_rescue_device and hw_rescue_bus on the rescue image')
  const { device, bus } = rescueDeviceAndBus(image.properties)
  const before = await ctx.driver.getDomain(task.instanceUuid)
  const wasRunning = before?.powerState === PowerState.RUNNING
  // Fetched while the guest still runs: the time it is down is only shutdown and boot.
  const rescueImagePath = await ctx.images.localPath(image)
  const spec: RescueSpec = {
    instance: task.instance, mode,
    rescueImage: { imageId: image.id, path: rescueImagePath, format: image.diskFormat, properties: image.properties },
    rescueDevice: device, rescueBus: bus, rescueConfigDrive: rescue.configDrive, snapshotRoot,
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
    ctx.events.record({ event: step, phase: 'finish', result: 'Error', details: error instanceof Error ? error.message : String(error) })
    await restoreAfterFailedRescue(ctx, task.instance, wasRunning)
    throw error
  }
  return { imageId: image.id, mode }
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
  if (task.task.kind !== 'unrescue') throw new RescueError('not an unrescue task')
  const discard = task.task.discard
  await withEvent(ctx, 'lifeboat_unrescue_boot', () => ctx.driver.unrescue(task.instance, { discardChanges: discard, timeoutSeconds: task.shutdownTimeoutSeconds }))
}
