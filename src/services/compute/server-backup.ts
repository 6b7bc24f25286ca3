import type { ShelveDeps, TaskResultDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { actionContext, type CallContext } from './call-context.js'
import { InvalidRequest } from '../errors.js'
import { isVolumeBacked } from './instance-store.js'
import { claimTaskState, guardInstanceDetails, RULE_PARTS } from './instance-guards.js'
import { recordAction } from './instance-actions.js'
import { TaskState } from './instance-states.js'
import { inheritedProperties } from './server-snapshot.js'
import { SHELVABLE_STATES } from './shelve.js'

/** A `createBackup` request (Nova's schema checked it: rotation ≥ 0). */
export interface BackupRequest {
  name: string
  backupType: string
  rotation: number
  metadata: Record<string, string>
}

/**
 * Nova's `backup`: lock and state checks (those of createImage), volume-backed
 * servers refused, a queued image with `image_type: backup`, `backup_type`
 * and `instance_uuid`, task_state `image_backup`, the `createBackup` action
 * and the task; the rotation runs when the image is filled. Answers its id.
 */
export async function createServerBackup(deps: ShelveDeps, tasks: TaskQueue, call: CallContext, instanceId: string, request: BackupRequest): Promise<string> {
  const { auth, details } = await guardInstanceDetails(deps.db, call, instanceId, { policy: 'os_compute_api:os-create-backup', action: 'createBackup', vmStates: SHELVABLE_STATES }, RULE_PARTS)
  const instance = details.row
  if (isVolumeBacked(details.bdms)) throw new InvalidRequest('Backup is not supported for volume-backed instances.')
  const image = await deps.images.createImageRecord({
    name: request.name, owner: instance.project_id, diskFormat: 'qcow2', containerFormat: 'bare', minDisk: details.flavor.disk, minRam: 0,
    properties: {
      ...inheritedProperties(details), ...request.metadata, backup_type: request.backupType,
      instance_uuid: instance.uuid, user_id: auth.userId, image_type: 'backup', base_image_ref: instance.image_ref ?? '',
    },
  })
  try {
    await deps.db.transaction().execute(async (trx) => {
      await claimTaskState(trx, instance, 'createBackup', TaskState.IMAGE_BACKUP)
      const actionId = await recordAction(trx, instance.uuid, 'createBackup', actionContext(call))
      await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: instance.host, actionId, task: { kind: 'backup', imageId: image.id, backupType: request.backupType, rotation: request.rotation } })
    })
  } catch (error) {
    await deps.images.deleteImageInternal(image.id).catch((cleanup: unknown) => deps.log.warn({ err: cleanup, image: image.id, server: instanceId }, 'createBackup failed and its image could not be deleted'))
    throw error
  }
  tasks.notify(instance.host)
  return image.id
}

/**
 * Nova's `_rotate_backups`: the server's backups of this type, newest first;
 * those beyond `rotation` are deleted (rotation 0: all, the new one too). A
 * protected image is kept (Glance would refuse to delete it), with a warning.
 */
export async function rotateBackups(deps: TaskResultDeps, instanceUuid: string, backupType: string, rotation: number): Promise<void> {
  const images = await deps.db.selectFrom('images')
    .innerJoin('image_properties as kind', (join) => join.onRef('kind.image_id', '=', 'images.id').on('kind.name', '=', 'image_type').on('kind.value', '=', 'backup'))
    .innerJoin('image_properties as type', (join) => join.onRef('type.image_id', '=', 'images.id').on('type.name', '=', 'backup_type').on('type.value', '=', backupType))
    .innerJoin('image_properties as server', (join) => join.onRef('server.image_id', '=', 'images.id').on('server.name', '=', 'instance_uuid').on('server.value', '=', instanceUuid))
    .select(['images.id', 'images.protected']).orderBy('images.created_at', 'desc').orderBy('images.id', 'desc').execute()
  for (const image of images.slice(rotation)) {
    if (image.protected) {
      deps.log.warn({ image: image.id, server: instanceUuid }, `backup rotation: image ${image.id} is protected and is kept`)
      continue
    }
    await deps.images.deleteImageInternal(image.id)
      .catch((error: unknown) => deps.log.warn({ err: error, image: image.id, server: instanceUuid }, 'backup rotation: an old backup could not be deleted'))
  }
}
