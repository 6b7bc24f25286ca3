import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { SnapshotDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { actionContext, type CallContext } from './call-context.js'
import { isVolumeBacked, type InstanceDetails } from './instance-store.js'
import { claimTaskState, guardInstanceDetails } from './instance-guards.js'
import { recordAction, finishAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { instanceImageProperties } from './instance-spec.js'

const SNAPSHOT_STATES = [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED]

// Properties Nova does not carry from the server's image into a snapshot.
const NOT_INHERITED = new Set(['name', 'base_image_ref', 'image_location', 'image_state', 'image_type', 'owner_id', 'instance_uuid', 'user_id', 'block_device_mapping', 'bdm_v2', 'root_device_name'])

/** The server's image properties a snapshot of it carries (Nova's `create_image`). */
export function inheritedProperties(details: InstanceDetails): Record<string, string> {
  return Object.fromEntries(Object.entries(instanceImageProperties(details)).filter(([k]) => !NOT_INHERITED.has(k)))
}

/**
 * `createImage`. Image-backed: a queued image, task_state `image_snapshot`,
 * and a snapshot task whose data the agent uploads. Volume-backed (Nova's
 * `snapshot_volume_backed`): a snapshot of each volume and an image with no
 * data whose `block_device_mapping` property points at them.
 */
export async function createServerImage(deps: SnapshotDeps, tasks: TaskQueue, call: CallContext, instanceId: string, input: { name: string; metadata: Record<string, string> }): Promise<string> {
  const { auth, details } = await guardInstanceDetails(deps.db, call, instanceId, { policy: 'os_compute_api:servers:create_image', action: 'createImage', vmStates: SNAPSHOT_STATES })
  const instance = details.row
  const images = deps.images
  const base = { ...inheritedProperties(details), ...input.metadata, instance_uuid: instance.uuid, user_id: auth.userId, image_type: 'snapshot', base_image_ref: instance.image_ref ?? '' }
  if (isVolumeBacked(details.bdms)) return snapshotVolumeBacked(deps, call, details, input.name, base)
  const image = await images.createImageRecord({ name: input.name, owner: instance.project_id, diskFormat: 'qcow2', containerFormat: 'bare', minDisk: details.flavor.disk, minRam: 0, properties: base })
  try {
    await deps.db.transaction().execute(async (trx) => {
      await claimTaskState(trx, instance, 'createImage', TaskState.IMAGE_SNAPSHOT)
      const actionId = await recordAction(trx, instance.uuid, 'createImage', actionContext(call))
      await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: instance.host, actionId, task: { kind: 'snapshot', imageId: image.id } })
    })
  } catch (error) {
    await images.deleteImageInternal(image.id).catch((cleanup: unknown) => deps.log.warn({ err: cleanup, image: image.id, server: instanceId }, 'createImage failed and its image could not be deleted'))
    throw error
  }
  tasks.notify(instance.host)
  return image.id
}

async function snapshotVolumeBacked(deps: SnapshotDeps, call: CallContext, details: InstanceDetails, name: string, properties: Record<string, string>): Promise<string> {
  const mappings: Array<Record<string, unknown>> = []
  for (const bdm of details.bdms) {
    if (bdm.destination_type !== 'volume' || !bdm.volume_id) continue
    const snapshot = await deps.volumes.createSnapshotInternal(bdm.volume_id, { name: `snapshot for ${name}`, force: true, projectId: details.row.project_id })
    mappings.push({
      source_type: 'snapshot', destination_type: 'volume', snapshot_id: snapshot.id, volume_size: snapshot.size, boot_index: bdm.boot_index,
      device_name: bdm.device_name, delete_on_termination: false, disk_bus: bdm.disk_bus, device_type: bdm.device_type, tag: bdm.tag, volume_id: null, image_id: null, no_device: null,
    })
  }
  const image = await deps.images.createImageRecord({
    name, owner: details.row.project_id, diskFormat: 'raw', containerFormat: 'bare',
    properties: { ...properties, bdm_v2: 'True', block_device_mapping: JSON.stringify(mappings), root_device_name: details.row.root_device_name ?? '/dev/vda' },
  })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bfv-snapshot-'))
  try {
    const empty = path.join(dir, 'empty')
    fs.writeFileSync(empty, '')
    await deps.images.importImageFile(image.id, empty)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  await deps.db.transaction().execute(async (trx) => {
    const actionId = await recordAction(trx, details.row.uuid, 'createImage', actionContext(call))
    await finishAction(trx, actionId, 'Success')
  })
  return image.id
}
