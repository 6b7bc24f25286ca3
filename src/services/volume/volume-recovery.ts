import type { VolumeSnapshotsTable, VolumesTable } from '../../db/tables/volume-tables.js'
import { nowIso } from '../time.js'
import { type VolumeEnv, casVolume, settleVolumeStatus } from './volume-env.js'

/** What a recovery pass did, by record (for the caller's summary and tests). */
export interface VolumeRecovery {
  volumes: Array<{ id: string; from: string; to: string }>
  snapshots: Array<{ id: string; from: string; to: string }>
}

/**
 * Work on volumes runs in the control plane's memory (`BackgroundTasks`) or
 * inside a request: a process killed -9 leaves its records in a transitional
 * status that nothing would ever move again. Run once at start, before the
 * API serves (no request of this process can be in flight), this moves each
 * to where Cinder's own failure handling would have put it, with a warning
 * naming the record:
 * - volume `creating` → `error` (its partial data removed), as a failed create;
 * - volume `extending` → `error_extending`, as a failed extend;
 * - volume or snapshot `deleting` → the delete is finished;
 * - snapshot `creating` → `error` (its partial copy removed), as a failed snapshot.
 */
export async function recoverInterruptedVolumeWork(env: VolumeEnv): Promise<VolumeRecovery> {
  const { db, log } = env.deps
  const done: VolumeRecovery = { volumes: [], snapshots: [] }
  const reason = 'the process that was doing it stopped (restart)'

  for (const snapshot of await db.selectFrom('volume_snapshots').selectAll().where('status', 'in', ['creating', 'deleting']).execute()) {
    if (snapshot.status === 'creating') {
      await env.backend.discardSnapshot(snapshot.id)
      await db.updateTable('volume_snapshots').set({ status: 'error', updated_at: nowIso() }).where('id', '=', snapshot.id).where('status', '=', 'creating').execute()
      log.warn({ snapshot: snapshot.id, volume: snapshot.volume_id, from: 'creating', to: 'error' }, `volume snapshot ${snapshot.id} was being created when ${reason}: status error`)
      done.snapshots.push({ id: snapshot.id, from: 'creating', to: 'error' })
    } else {
      const to = await finishSnapshotDelete(env, snapshot)
      log.warn({ snapshot: snapshot.id, volume: snapshot.volume_id, from: 'deleting', to }, `volume snapshot ${snapshot.id} was being deleted when ${reason}: ${to === 'deleted' ? 'delete finished' : `status ${to}`}`)
      done.snapshots.push({ id: snapshot.id, from: 'deleting', to })
    }
  }

  for (const volume of await db.selectFrom('volumes').selectAll().where('status', 'in', ['creating', 'extending', 'deleting']).execute()) {
    let to: string
    if (volume.status === 'creating') {
      await env.backend.discardVolume(volume.id)
      to = (await casVolume(db, volume.id, ['creating'], { status: 'error' })) ? 'error' : volume.status
    } else if (volume.status === 'extending') {
      to = (await casVolume(db, volume.id, ['extending'], { status: 'error_extending' })) ? 'error_extending' : volume.status
    } else {
      to = await finishVolumeDelete(env, volume)
    }
    const what = volume.status === 'deleting' && to === 'deleted' ? 'delete finished' : `status ${to}`
    log.warn({ volume: volume.id, from: volume.status, to }, `volume ${volume.id} was ${volume.status} when ${reason}: ${what}`)
    done.volumes.push({ id: volume.id, from: volume.status, to })
  }
  return done
}

/** Removes a snapshot's data then its row; `error_deleting` (Cinder's) when the data can't be removed. */
async function finishSnapshotDelete(env: VolumeEnv, snapshot: VolumeSnapshotsTable): Promise<string> {
  const db = env.deps.db
  try {
    if (snapshot.backing_path) await env.backend.deleteSnapshot({ path: snapshot.backing_path, format: 'qcow2' })
    await env.backend.discardSnapshot(snapshot.id)
    await db.deleteFrom('volume_snapshots').where('id', '=', snapshot.id).execute()
    return 'deleted'
  } catch (error) {
    env.deps.log.warn({ err: error, snapshot: snapshot.id }, 'finishing an interrupted snapshot delete failed')
    await db.updateTable('volume_snapshots').set({ status: 'error_deleting', updated_at: nowIso() }).where('id', '=', snapshot.id).execute()
    return 'error_deleting'
  }
}

/**
 * Finishes a volume delete. A delete only starts with no snapshot left
 * unless it cascades, and a `deleting` volume takes no new snapshot: any
 * snapshot still there belongs to an interrupted cascade and goes too.
 */
async function finishVolumeDelete(env: VolumeEnv, volume: VolumesTable): Promise<string> {
  const db = env.deps.db
  try {
    if (await db.selectFrom('volume_attachments').select('id').where('volume_id', '=', volume.id).where('status', '=', 'attached').executeTakeFirst()) {
      // Not deletable after all (attached meanwhile by an admin's reset): Cinder's failed delete.
      await settleVolumeStatus(db, volume.id)
      return (await db.selectFrom('volumes').select('status').where('id', '=', volume.id).executeTakeFirst())?.status ?? 'deleted'
    }
    for (const snapshot of await db.selectFrom('volume_snapshots').selectAll().where('volume_id', '=', volume.id).execute()) {
      if ((await finishSnapshotDelete(env, snapshot)) !== 'deleted') throw new Error(`snapshot ${snapshot.id} could not be deleted`)
    }
    await env.backend.deleteVolume({ path: volume.backing_path, format: volume.backing_format as 'raw' | 'qcow2' })
    await env.backend.discardVolume(volume.id)
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('volume_attachments').where('volume_id', '=', volume.id).execute()
      await tx.deleteFrom('volumes').where('id', '=', volume.id).execute()
    })
    return 'deleted'
  } catch (error) {
    env.deps.log.warn({ err: error, volume: volume.id }, 'finishing an interrupted volume delete failed')
    await casVolume(db, volume.id, ['deleting'], { status: 'error_deleting' })
    return 'error_deleting'
  }
}
