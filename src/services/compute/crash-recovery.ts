import { sql } from 'kysely'
import type { Task } from '../../agent-api/index.js'
import type { TaskResultDeps } from './ports.js'
import { finalizeDeletion } from './task-results.js'
import { VmState } from './instance-states.js'
import { freeEndedMigrationAllocations } from './resize-results.js'

/** What a compute recovery pass did (counts by kind, for tests and the summary line). */
export interface ComputeRecovery {
  deletedServersFinalized: string[]
  detachesRolledBack: string[]
  attachmentsDropped: string[]
  attachmentsCompleted: string[]
  snapshotImagesKilled: string[]
  /** Ended migrations (resize confirmed, reverted, failed) whose resources were still held. */
  migrationAllocationsFreed?: string[]
}

/** The tasks not finished yet (queued or leased), parsed. */
async function unfinishedTasks(deps: TaskResultDeps): Promise<Task[]> {
  const rows = await deps.db.selectFrom('tasks').select('payload').where('status', 'in', ['queued', 'leased']).execute()
  return rows.map((r) => JSON.parse(r.payload) as Task)
}

/**
 * Compute tasks are durable rows, but a few steps run in the control plane
 * after a task's transaction or before its enqueue (volume attachment
 * calls, the clean-up of a deleted server, a snapshot's image). A process
 * killed -9 between the two leaves volumes `reserved`/`detaching`, an
 * allocation of a deleted server, or a snapshot image `queued` with no task
 * to fill it. Run once at start, before serving (no request of this process
 * is in flight), this finishes each step or undoes it, with a warning naming
 * the record. Builds are left to `Conductor.resumePendingBuilds`.
 */
export async function recoverInterruptedComputeWork(deps: TaskResultDeps): Promise<ComputeRecovery> {
  const { db, log } = deps
  const done: ComputeRecovery = { deletedServersFinalized: [], detachesRolledBack: [], attachmentsDropped: [], attachmentsCompleted: [], snapshotImagesKilled: [] }
  const pending = await unfinishedTasks(deps)
  const pendingBdm = new Set(pending.flatMap((t) => (t.kind === 'attach_volume' || t.kind === 'detach_volume' ? [t.bdmId] : [])))
  const pendingImages = new Set(pending.flatMap((t) => (t.kind === 'snapshot' || t.kind === 'backup' || (t.kind === 'shelve' && t.imageId) ? [t.imageId!] : [])))

  // A deleted server whose clean-up (allocation, attachments) did not run: run it (it is idempotent).
  const leftovers = await db.selectFrom('instances').select('uuid').where('deleted', '=', 1)
    .where((eb) => eb.or([
      eb.exists(eb.selectFrom('block_device_mappings').select(sql`1`.as('one')).whereRef('block_device_mappings.instance_uuid', '=', 'instances.uuid')),
      eb.exists(eb.selectFrom('placement_allocations').select(sql`1`.as('one')).whereRef('placement_allocations.consumer_uuid', '=', 'instances.uuid')),
    ])).execute()
  for (const { uuid } of leftovers) {
    await finalizeDeletion(deps, uuid)
    log.warn({ server: uuid }, `deleted server ${uuid} had not been cleaned up when the process stopped (restart): its allocation and volume attachments are released now`)
    done.deletedServersFinalized.push(uuid)
  }

  // A detach whose task was never queued (or whose roll-back never ran): the volume goes back to in-use.
  const detaching = await db.selectFrom('volumes').leftJoin('block_device_mappings', 'block_device_mappings.volume_id', 'volumes.id')
    .select(['volumes.id as volumeId', 'block_device_mappings.id as bdmId']).where('volumes.status', '=', 'detaching').execute()
  for (const row of detaching) {
    if (row.bdmId && pendingBdm.has(row.bdmId)) continue
    await deps.volumes.rollDetaching(row.volumeId)
    log.warn({ volume: row.volumeId }, `volume ${row.volumeId} was detaching when the process stopped (restart) and no detach is queued: status in-use, detach it again`)
    done.detachesRolledBack.push(row.volumeId)
  }

  // Attachments reserved for a server by compute: with no mapping the attach never got queued (drop it);
  // with a mapping and no attach task, the attach finished but its completion was lost (complete it).
  const reserved = await db.selectFrom('volume_attachments').innerJoin('instances', 'instances.uuid', 'volume_attachments.instance_uuid')
    .leftJoin('block_device_mappings', 'block_device_mappings.attachment_id', 'volume_attachments.id')
    .select(['volume_attachments.id as attachmentId', 'volume_attachments.volume_id as volumeId', 'instances.uuid as serverId', 'instances.host as host',
      'block_device_mappings.id as bdmId', 'block_device_mappings.device_name as device'])
    .where('volume_attachments.status', 'in', ['reserved', 'attaching']).where('instances.deleted', '=', 0)
    .where('instances.vm_state', '!=', VmState.BUILDING).execute()
  for (const row of reserved) {
    if (row.bdmId && pendingBdm.has(row.bdmId)) continue
    if (!row.bdmId) {
      await deps.volumes.deleteAttachment(row.attachmentId)
      log.warn({ volume: row.volumeId, attachment: row.attachmentId, server: row.serverId }, `volume ${row.volumeId} was reserved for server ${row.serverId} when the process stopped (restart) before the attach was queued: reservation dropped, attach it again`)
      done.attachmentsDropped.push(row.attachmentId)
    } else {
      await deps.volumes.completeAttachment(row.attachmentId, { mountpoint: row.device ?? '', hostName: row.host ?? '' })
      log.warn({ volume: row.volumeId, attachment: row.attachmentId, server: row.serverId }, `volume ${row.volumeId} was attached to server ${row.serverId} but the process stopped (restart) before it was recorded: attachment completed`)
      done.attachmentsCompleted.push(row.attachmentId)
    }
  }

  // A server snapshot's image with no snapshot task left to fill it: failed, as a failed snapshot task leaves it.
  // (Only images made by createImage: a snapshot type, and the uuid of a server of the image's owner.)
  const snapshots = await db.selectFrom('images')
    .innerJoin('image_properties as kind', (join) => join.onRef('kind.image_id', '=', 'images.id').on('kind.name', '=', 'image_type').on('kind.value', 'in', ['snapshot', 'backup']))
    .innerJoin('image_properties as server', (join) => join.onRef('server.image_id', '=', 'images.id').on('server.name', '=', 'instance_uuid'))
    .innerJoin('instances', (join) => join.onRef('instances.uuid', '=', 'server.value').onRef('instances.project_id', '=', 'images.owner'))
    .select('images.id').where('images.status', '=', 'queued').execute()
  for (const { id } of snapshots) {
    if (pendingImages.has(id)) continue
    await deps.images.killImage(id)
    log.warn({ image: id }, `snapshot image ${id} was being made when the process stopped (restart) and no snapshot task is left: status killed`)
    done.snapshotImagesKilled.push(id)
  }
  const freed = await freeEndedMigrationAllocations(deps)
  if (freed.length > 0) done.migrationAllocationsFreed = freed
  return done
}
