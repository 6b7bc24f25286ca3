/**
 * Moving a rescued server (beyond Nova, which refuses with 409): the rescue
 * it has, as a destination host rebuilds it — the decision the server was
 * rescued with (image, mode, device, bus), so that it arrives in the same
 * stable-device layout.
 */
import type { MigratingRescue, Task } from '../../agent-api/index.js'
import type { Db } from '../../db/schema.js'
import type { InstanceRow, RescueRecord } from './instance-store.js'

/**
 * The rescue decision of a rescued server: its rescue record, with the device
 * and bus recorded since they are (older records: the rescue task's payload
 * when it is still kept, else a virtio disk as Nova's default). Null when the
 * server has no rescue record (or no image in it).
 */
export async function migratingRescueOf(db: Db, instance: Pick<InstanceRow, 'uuid' | 'rescue'>): Promise<MigratingRescue | null> {
  const record = instance.rescue ? (JSON.parse(instance.rescue) as RescueRecord) : null
  if (!record?.imageId || !record.mode) return null
  let device = record.device
  let bus = record.bus
  if (!device || !bus) {
    const row = await db.selectFrom('tasks').select('payload').where('instance_uuid', '=', instance.uuid).where('kind', '=', 'rescue')
      .orderBy('created_at', 'desc').executeTakeFirst()
    const task = row ? (JSON.parse(row.payload) as Task) : null
    if (task?.kind === 'rescue') ({ device, bus } = task)
  }
  return { imageId: record.imageId, mode: record.mode, device: device ?? 'disk', bus: bus ?? 'virtio', keyName: record.keyName, snapshotRoot: record.rootSnapshot }
}
