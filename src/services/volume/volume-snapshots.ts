import { randomUUID } from 'node:crypto'
import type { VolumeSnapshotsTable, VolumesTable } from '../../db/tables/volume-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { authorize, scopedProjectId } from '../policy.js'
import { nowIso } from '../time.js'
import type { BackingFile } from './backend/volume-backend.js'
import { InvalidSnapshot, InvalidVolume, snapshotNotFound, volumeNotFound } from './volume-errors.js'
import { type VolumeEnv, visibleVolumeRow, volumeRow } from './volume-env.js'
import { paginate, type PageRequest } from './volume-list.js'
import { snapshotFromRow, type VolumeSnapshotDetail } from './volume-records.js'
import { checkSnapshotQuota } from './volume-quotas.js'
import { lockProjectQuotas } from '../quotas/quota-store.js'

/** Keys snapshots sort by. */
export const SNAPSHOT_SORT_KEYS = ['id', 'name', 'status', 'size', 'created_at', 'updated_at', 'volume_id', 'project_id'] as const

/** Filters of the snapshot lists. */
export interface SnapshotFilter {
  name?: string
  status?: string
  volumeId?: string
  allTenants?: boolean
}

/** What a snapshot is made with. */
export interface CreateSnapshotRequest {
  volumeId: string
  name?: string | null
  description?: string | null
  force: boolean
  metadata?: Record<string, string> | null
  /** 3.66+: an in-use volume may be snapshotted without `force`. */
  allowInUse?: boolean
}

/** Volume snapshots: full copies made by the backend in the background. */
export class SnapshotsApi {
  readonly #env: VolumeEnv

  constructor(env: VolumeEnv) {
    this.#env = env
  }

  /** Cinder's `create_snapshot_in_db` checks, then a `creating` row; the copy happens in the background. */
  async create(auth: AuthContext, request: CreateSnapshotRequest): Promise<VolumeSnapshotDetail> {
    const volume = await visibleVolumeRow(this.#env.deps.db, auth, request.volumeId)
    authorize(auth, 'volume:create_snapshot', 'member')
    return this.createFor(volume, { ...request, projectId: scopedProjectId(auth, 'volume:create_snapshot'), userId: auth.userId })
  }

  /** The snapshot of a volume already looked up (also the compute contract's way in). */
  async createFor(volume: VolumesTable, request: CreateSnapshotRequest & { projectId: string; userId: string }): Promise<VolumeSnapshotDetail> {
    if (volume.status === 'maintenance') throw new InvalidVolume('The snapshot cannot be created when the volume is in maintenance mode.')
    if (volume.status === 'error') throw new InvalidVolume('The snapshot cannot be created when the volume is in error status.')
    const valid = request.force || request.allowInUse ? ['available', 'in-use'] : ['available']
    if (!valid.includes(volume.status)) {
      throw new InvalidVolume(`Volume ${volume.id} status must be ${valid.join(', ')}, but current status is: ${volume.status}.`)
    }
    const now = nowIso()
    const id = randomUUID()
    const row: VolumeSnapshotsTable = {
      id, volume_id: volume.id, project_id: request.projectId, user_id: request.userId,
      name: request.name ?? null, description: request.description ?? null, size: volume.size,
      status: 'creating', progress: '0%', metadata: JSON.stringify(request.metadata ?? {}),
      image_metadata: volume.image_metadata, bootable: volume.bootable, backing_path: '',
      created_at: now, updated_at: now,
    }
    const db = this.#env.deps.db
    await db.transaction().execute(async (trx) => {
      await lockProjectQuotas(trx, request.projectId)
      await checkSnapshotQuota(trx, request.projectId, volume.size)
      await trx.insertInto('volume_snapshots').values(row).execute()
    })
    const source: BackingFile = { path: volume.backing_path, format: volume.backing_format as BackingFile['format'] }
    this.#env.tasks.run(async () => {
      try {
        const made = await this.#env.backend.createSnapshot(id, source, volume.status === 'in-use')
        await db.updateTable('volume_snapshots').set({ status: 'available', progress: '100%', backing_path: made.path, updated_at: nowIso() })
          .where('id', '=', id).execute()
      } catch (error) {
        this.#env.deps.log.warn({ err: error, snapshot: id, volume: volume.id }, 'creating a volume snapshot failed: status error')
        await db.updateTable('volume_snapshots').set({ status: 'error', updated_at: nowIso() }).where('id', '=', id).execute()
      }
    })
    return snapshotFromRow(row)
  }

  async #visible(auth: AuthContext, id: string): Promise<VolumeSnapshotsTable> {
    const row = await this.#env.deps.db.selectFrom('volume_snapshots').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row || (!auth.isAdmin && row.project_id !== auth.projectId)) throw snapshotNotFound(id)
    return row
  }

  async show(auth: AuthContext, id: string): Promise<VolumeSnapshotDetail> {
    authorize(auth, 'volume:get_snapshot', 'reader')
    return snapshotFromRow(await this.#visible(auth, id))
  }

  async list(auth: AuthContext, filter: SnapshotFilter, page: PageRequest): Promise<{ snapshots: VolumeSnapshotDetail[]; total: number }> {
    authorize(auth, 'volume:get_all_snapshots', 'reader')
    let q = this.#env.deps.db.selectFrom('volume_snapshots').selectAll()
    if (!(auth.isAdmin && filter.allTenants)) q = q.where('project_id', '=', auth.projectId ?? '')
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    if (filter.status !== undefined) q = q.where('status', '=', filter.status)
    if (filter.volumeId !== undefined) q = q.where('volume_id', '=', filter.volumeId)
    const rows = await q.execute()
    const pageRows = paginate(rows, page, (r, key) => r[key as keyof VolumeSnapshotsTable], snapshotNotFound)
    return { snapshots: pageRows.map(snapshotFromRow), total: rows.length }
  }

  async update(auth: AuthContext, id: string, input: { name?: string | null; description?: string | null }): Promise<VolumeSnapshotDetail> {
    const row = await this.#visible(auth, id)
    authorize(auth, 'volume:update_snapshot', 'member')
    const values: Partial<VolumeSnapshotsTable> = { updated_at: nowIso() }
    if (input.name !== undefined) values.name = input.name
    if (input.description !== undefined) values.description = input.description
    await this.#env.deps.db.updateTable('volume_snapshots').set(values).where('id', '=', id).execute()
    return snapshotFromRow({ ...row, ...values })
  }

  /** Cinder's `delete_snapshot`: available or error (any status when forced); the copy is removed, then the row. */
  async delete(auth: AuthContext, id: string, force = false): Promise<void> {
    const row = await this.#visible(auth, id)
    authorize(auth, force ? 'volume_extension:snapshot_admin_actions:force_delete' : 'volume:delete_snapshot', force ? 'admin' : 'member')
    await this.deleteRow(row, force)
  }

  async deleteRow(row: VolumeSnapshotsTable, force: boolean): Promise<void> {
    const db = this.#env.deps.db
    let q = db.updateTable('volume_snapshots').set({ status: 'deleting', updated_at: nowIso() }).where('id', '=', row.id)
    if (!force) q = q.where('status', 'in', ['available', 'error'])
    const result = await q.executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) {
      throw new InvalidSnapshot(`Snapshot ${force ? '' : 'status must be available or error and'} must not be part of a group.`)
    }
    try {
      if (row.backing_path) await this.#env.backend.deleteSnapshot({ path: row.backing_path, format: 'qcow2' })
      await db.deleteFrom('volume_snapshots').where('id', '=', row.id).execute()
    } catch (error) {
      await db.updateTable('volume_snapshots').set({ status: 'error_deleting' }).where('id', '=', row.id).execute()
      throw error
    }
  }

  /** The compute contract's snapshot: the volume by id, owned by the given project. */
  async createInternal(volumeId: string, input: { name: string; description?: string; force: boolean; projectId: string }): Promise<VolumeSnapshotDetail> {
    const volume = await volumeRow(this.#env.deps.db, volumeId)
    if (!volume) throw volumeNotFound(volumeId)
    return this.createFor(volume, { volumeId, name: input.name, description: input.description ?? null, force: input.force, projectId: input.projectId, userId: volume.user_id })
  }

  /** Resolves when the snapshot leaves `creating` (or the timeout passes). */
  async waitFor(id: string, timeoutMs: number): Promise<VolumeSnapshotDetail> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const row = await this.#env.deps.db.selectFrom('volume_snapshots').selectAll().where('id', '=', id).executeTakeFirst()
      if (!row) throw snapshotNotFound(id)
      if (row.status !== 'creating' || Date.now() >= deadline) return snapshotFromRow(row)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}
