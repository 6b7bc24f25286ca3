import { randomUUID } from 'node:crypto'
import type { Store, VolumeAttachmentDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { actionContext, type CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { Conflict, InvalidRequest, NotFound, onNotFound } from '../errors.js'
import { getInstanceDetails, type BdmRow } from './instance-store.js'
import { guardInstanceDetails } from './instance-guards.js'
import { recordAction } from './instance-actions.js'
import { deviceNameAt } from './block-device-mappings.js'
import { VmState } from './instance-states.js'
import { nowIso } from '../time.js'

/** vm_states that allow attaching and detaching volumes (nova/compute/api.py). */
const ATTACHABLE_STATES = [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED, VmState.RESIZED, VmState.SOFT_DELETED, VmState.SHELVED, VmState.SHELVED_OFFLOADED]

/** The volume mappings of a server (everything but the image root and local disks). */
export async function listVolumeAttachments(deps: Store, call: CallContext, instanceId: string): Promise<BdmRow[]> {
  const auth = authorize(call.auth, 'os_compute_api:os-volumes-attachments:index', 'reader')
  const details = await getInstanceDetails(deps.db, auth, instanceId)
  return details.bdms.filter((b) => b.destination_type === 'volume' && b.volume_id)
}

/** One volume mapping of a server; 404 when that volume is not attached to it. */
export async function getVolumeAttachment(deps: Store, call: CallContext, instanceId: string, volumeId: string): Promise<BdmRow> {
  const bdm = (await listVolumeAttachments(deps, call, instanceId)).find((b) => b.volume_id === volumeId)
  if (!bdm) throw new NotFound(`Volume ${volumeId} is not attached to the instance ${instanceId}`)
  return bdm
}

/**
 * `POST /servers/{id}/os-volume_attachments`: reserve the volume through the
 * volume service's attachments, record the mapping at the next device name,
 * and queue the attach for the host.
 */
export async function attachVolume(deps: VolumeAttachmentDeps, tasks: TaskQueue, call: CallContext, instanceId: string, input: { volumeId: string; device?: string | null; tag?: string | null; deleteOnTermination?: boolean }): Promise<BdmRow> {
  const { auth, details } = await guardInstanceDetails(deps.db, call, instanceId, { policy: 'os_compute_api:os-volumes-attachments:create', action: 'attach_volume', vmStates: ATTACHABLE_STATES })
  const volumes = deps.volumes
  const volume = await volumes.getVolume(auth, input.volumeId).catch(onNotFound(() => new NotFound(`Volume ${input.volumeId} could not be found.`)))
  if (details.bdms.some((b) => b.volume_id === volume.id)) throw new Conflict(`volume ${volume.id} already attached`)
  if (volume.status !== 'available') throw new InvalidRequest(`Invalid volume: volume '${volume.id}' status must be 'available'. Currently in '${volume.status}'`)
  const used = new Set(details.bdms.map((b) => b.device_name))
  let index = details.bdms.length
  while (used.has(deviceNameAt(index))) index++
  const attachment = await volumes.reserveAttachment(volume.id, details.row.uuid)
  const bdm: BdmRow = {
    id: randomUUID(), instance_uuid: details.row.uuid, position: Math.max(0, ...details.bdms.map((b) => b.position)) + 1, boot_index: null,
    source_type: 'volume', destination_type: 'volume', device_type: 'disk', disk_bus: 'virtio', device_name: deviceNameAt(index),
    guest_format: null, image_id: null, volume_id: volume.id, snapshot_id: null, volume_size: volume.size,
    delete_on_termination: input.deleteOnTermination ? 1 : 0, attachment_id: attachment.id, tag: input.tag ?? null, created_at: nowIso(),
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('block_device_mappings').values(bdm).execute()
      const actionId = await recordAction(trx, details.row.uuid, 'attach_volume', actionContext(call))
      await tasks.enqueue(trx, { instanceUuid: details.row.uuid, host: details.row.host, actionId, task: { kind: 'attach_volume', bdmId: bdm.id } })
    })
  } catch (error) {
    await volumes.deleteAttachment(attachment.id).catch((cleanup: unknown) => deps.log.warn({ err: cleanup, attachment: attachment.id, server: instanceId }, 'attaching a volume failed and its attachment could not be deleted'))
    throw error
  }
  tasks.notify(details.row.host)
  return bdm
}

/** `DELETE /servers/{id}/os-volume_attachments/{volume}`: the root volume can't be detached. */
export async function detachVolume(deps: VolumeAttachmentDeps, tasks: TaskQueue, call: CallContext, instanceId: string, volumeId: string): Promise<void> {
  const { details } = await guardInstanceDetails(deps.db, call, instanceId, { policy: 'os_compute_api:os-volumes-attachments:delete', action: 'detach_volume', vmStates: ATTACHABLE_STATES })
  const bdm = details.bdms.find((b) => b.volume_id === volumeId)
  if (!bdm) throw new NotFound(`Volume ${volumeId} is not attached to the instance ${instanceId}`)
  if (bdm.boot_index === 0) throw new InvalidRequest('Cannot detach a root device volume')
  const volumes = deps.volumes
  await volumes.beginDetaching(volumeId)
  try {
    await deps.db.transaction().execute(async (trx) => {
      const actionId = await recordAction(trx, details.row.uuid, 'detach_volume', actionContext(call))
      await tasks.enqueue(trx, { instanceUuid: details.row.uuid, host: details.row.host, actionId, task: { kind: 'detach_volume', bdmId: bdm.id } })
    })
  } catch (error) {
    await volumes.rollDetaching(volumeId).catch((cleanup: unknown) => deps.log.warn({ err: cleanup, volume: volumeId, server: instanceId }, 'detaching a volume failed and the volume could not be rolled back from detaching'))
    throw error
  }
  tasks.notify(details.row.host)
}
