import type { AgentGatewayDeps } from './ports.js'
import type { Task } from '../../agent-api/index.js'
import type { InstanceSpec } from '../../virt/virt-driver.js'
import { TaskState } from './instance-states.js'
import { nowIso } from '../time.js'

/**
 * A leased shelve or unshelve task as the agent gets it. A shelve moves the
 * server on to Nova's `shelving_image_pending_upload` (or
 * `shelving_offloading` without an image); an offloaded server's unshelve
 * boots from the shelve image: its image root is that image (Nova spawns
 * with the shelved image's metadata and keeps `image_ref` as it was).
 */
export async function renderShelveTask(deps: AgentGatewayDeps, instanceUuid: string, task: Task, spec: InstanceSpec): Promise<InstanceSpec> {
  if (task.kind === 'shelve') {
    const next = task.imageId ? TaskState.SHELVING_IMAGE_PENDING_UPLOAD : TaskState.SHELVING_OFFLOADING
    await deps.db.updateTable('instances').set({ task_state: next, updated_at: nowIso() }).where('uuid', '=', instanceUuid).where('task_state', '=', TaskState.SHELVING).execute()
    return spec
  }
  if (task.kind !== 'unshelve' || !task.offloaded || !task.imageId) return spec
  const imageId = task.imageId
  const image = await deps.images.findImage(imageId)
  const disks = spec.disks.map((disk) => {
    if (disk.role !== 'root' || disk.source.kind !== 'image') return disk
    return { ...disk, source: { ...disk.source, imageId, imagePath: image ? deps.images.imageFilePath(imageId) : '', format: image?.diskFormat === 'raw' ? 'raw' as const : 'qcow2' as const } }
  })
  return { ...spec, disks }
}

/**
 * The agent starts uploading an image: a shelve's server moves on to Nova's
 * `shelving_image_uploading` (the image names its server; other uploads change nothing).
 */
export async function noteShelveUpload(deps: Pick<AgentGatewayDeps, 'db'>, imageId: string): Promise<void> {
  const owner = await deps.db.selectFrom('image_properties').select('value').where('image_id', '=', imageId).where('name', '=', 'instance_uuid').executeTakeFirst()
  if (!owner) return
  await deps.db.updateTable('instances').set({ task_state: TaskState.SHELVING_IMAGE_UPLOADING, updated_at: nowIso() })
    .where('uuid', '=', owner.value).where('task_state', '=', TaskState.SHELVING_IMAGE_PENDING_UPLOAD).execute()
}
