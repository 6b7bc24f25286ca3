import type { AuthContext } from '../identity/auth-context.js'
import type { VolumesTable } from '../../db/tables/volume-tables.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { authorize, PolicyNotAuthorized } from '../policy.js'
import type { BackingFile } from './backend/volume-backend.js'
import { InvalidInput, InvalidVolume, orList } from './volume-errors.js'
import { casVolume, reloadVolume, updateVolume, type VolumeEnv, visibleVolumeRow } from './volume-env.js'
import { parseJsonObject, type VolumeDetail } from './volume-records.js'
import { ServiceErrorCode } from '../error-codes.js'
import { checkExtendQuota } from './volume-quotas.js'

const DELETABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'] as const
const SNAPSHOT_CASCADE_DELETABLE = ['available', 'error', 'deleting']

/** Statuses `os-reset_status` accepts (Cinder's `volume_status` format). */
export const RESETTABLE_STATUSES = [
  'creating', 'available', 'deleting', 'error', 'error_deleting', 'error_managing', 'managing', 'attaching', 'in-use',
  'detaching', 'maintenance', 'restoring-backup', 'error_restoring', 'reserved', 'awaiting-transfer', 'backing-up',
  'error_backing-up', 'error_extending', 'downloading', 'uploading', 'retyping', 'extending',
] as const

function backingOf(row: { backing_path: string; backing_format?: string }): BackingFile {
  return { path: row.backing_path, format: (row.backing_format ?? 'qcow2') as BackingFile['format'] }
}

/** Volume changes other than attaching: update, metadata, delete, extend, bootable, reset. */
export class VolumeActions {
  readonly #env: VolumeEnv

  constructor(env: VolumeEnv) {
    this.#env = env
  }

  /** `PUT /volumes/{id}`: name, description, metadata (which replaces the old). */
  async update(auth: AuthContext, id: string, input: { name?: string | null; description?: string | null; metadata?: Record<string, string> }): Promise<VolumeDetail> {
    const db = this.#env.deps.db
    const row = await visibleVolumeRow(db, auth, id)
    authorize(auth, 'volume:update', 'member')
    if (row.status === 'maintenance') throw new InvalidVolume('The volume cannot be updated during maintenance.')
    const values: Partial<VolumesTable> = {}
    if (input.name !== undefined) values.name = input.name
    if (input.description !== undefined) values.description = input.description
    if (input.metadata !== undefined) values.metadata = JSON.stringify(input.metadata)
    await updateVolume(db, id, values)
    return reloadVolume(db, id)
  }

  /** The volume's metadata. */
  async metadata(auth: AuthContext, id: string): Promise<Record<string, string>> {
    const row = await visibleVolumeRow(this.#env.deps.db, auth, id)
    authorize(auth, 'volume:get_volume_metadata', 'reader')
    return parseJsonObject(row.metadata)
  }

  /** Merges (or with `replace`, replaces) the metadata; returns all of it. */
  async setMetadata(auth: AuthContext, id: string, metadata: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    const db = this.#env.deps.db
    const row = await visibleVolumeRow(db, auth, id)
    authorize(auth, 'volume:update_volume_metadata', 'member')
    if (row.status === 'maintenance') throw new InvalidVolume('The volume metadata cannot be updated when the volume is in maintenance mode.')
    const next = replace ? { ...metadata } : { ...parseJsonObject(row.metadata), ...metadata }
    await updateVolume(db, id, { metadata: JSON.stringify(next) })
    return next
  }

  /** Removes one metadata key; NotFound when it is absent. */
  async deleteMetadataItem(auth: AuthContext, id: string, key: string): Promise<void> {
    const db = this.#env.deps.db
    const row = await visibleVolumeRow(db, auth, id)
    authorize(auth, 'volume:delete_volume_metadata', 'member')
    const metadata = parseJsonObject(row.metadata)
    if (!(key in metadata)) throw new NotFound(`Volume ${id} has no metadata with key ${key}.`, ServiceErrorCode.VOLUME_METADATA_NOT_FOUND)
    delete metadata[key]
    await updateVolume(db, id, { metadata: JSON.stringify(metadata) })
  }

  /** `DELETE /volumes/{id}` (`force` needs admin; `cascade` deletes the snapshots too). */
  async delete(auth: AuthContext, id: string, options: { cascade: boolean; force: boolean }): Promise<void> {
    const row = await visibleVolumeRow(this.#env.deps.db, auth, id)
    authorize(auth, 'volume:delete', 'member')
    if (options.force) authorize(auth, 'volume:force_delete', 'admin')
    await this.deleteRow(row, options)
  }

  /**
   * Cinder's `API.delete`: not attached, status deletable (unless forced), no
   * snapshots (unless cascading); then `deleting`, the backend removes the data
   * and the rows go. A backend failure leaves `error_deleting`.
   */
  async deleteRow(row: VolumesTable, options: { cascade: boolean; force: boolean }): Promise<void> {
    const db = this.#env.deps.db
    const snapshots = await db.selectFrom('volume_snapshots').selectAll().where('volume_id', '=', row.id).execute()
    const statusOk = options.force || (DELETABLE as readonly string[]).includes(row.status)
    const snapshotsOk = options.cascade
      ? options.force || snapshots.every((s) => SNAPSHOT_CASCADE_DELETABLE.includes(s.status))
      : snapshots.length === 0
    const refusal = new InvalidVolume(
      `Volume ${options.force ? '' : `status must be ${orList(DELETABLE)} and`} must not be migrating, attached, belong to a group, ` +
      'have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
    )
    if (row.attach_status === 'attached' || !statusOk || !snapshotsOk) throw refusal
    const result = await db.updateTable('volumes').set({ status: 'deleting' })
      .where('id', '=', row.id).where('status', '=', row.status).where('attach_status', '!=', 'attached').executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) throw refusal
    try {
      for (const snapshot of snapshots) {
        await this.#env.backend.deleteSnapshot(backingOf(snapshot))
        await db.deleteFrom('volume_snapshots').where('id', '=', snapshot.id).execute()
      }
      // A forced delete may find the volume still exported: the daemon lets go of the file first.
      await this.#env.exports?.remove(row.id)
      await this.#env.backend.deleteVolume(backingOf(row))
      await db.deleteFrom('volumes').where('id', '=', row.id).execute()
    } catch (error) {
      await updateVolume(db, row.id, { status: 'error_deleting' })
      throw error
    }
  }

  /**
   * `os-extend`: an available volume grows (`extending`, the backend resizes,
   * then available; `error_extending` on failure). Extending an attached
   * volume is a policy Lifeboat keeps closed: the guest's QEMU holds the file.
   */
  async extend(auth: AuthContext, id: string, newSize: number): Promise<void> {
    const db = this.#env.deps.db
    const row = await visibleVolumeRow(db, auth, id)
    authorize(auth, 'volume:extend', 'member')
    if (row.status === 'in-use') throw new PolicyNotAuthorized('volume:extend_attached_volume')
    if (!Number.isInteger(newSize) || newSize - row.size <= 0) {
      throw new InvalidInput(`New size for extend must be greater than current size. (current: ${row.size}, extended: ${newSize}).`)
    }
    await checkExtendQuota(db, row.project_id, newSize, newSize - row.size)
    if (!(await casVolume(db, id, ['available'], { status: 'extending' }))) {
      throw new InvalidVolume(`Volume ${id} status must be '{'status': 'available'}' to extend, currently ${row.status}.`)
    }
    try {
      await this.#env.backend.extendVolume(backingOf(row), newSize)
      await updateVolume(db, id, { status: 'available', size: newSize })
    } catch (error) {
      this.#env.deps.log.warn({ err: error, volume: id }, 'extending a volume failed: status error_extending')
      await updateVolume(db, id, { status: 'error_extending' })
    }
  }

  /** `os-set_bootable`. */
  async setBootable(auth: AuthContext, id: string, bootable: boolean): Promise<void> {
    const db = this.#env.deps.db
    const row = await visibleVolumeRow(db, auth, id)
    authorize(auth, 'volume:update', 'member')
    if (row.status === 'maintenance') throw new InvalidVolume('The volume cannot be updated during maintenance.')
    await updateVolume(db, id, { bootable: bootable ? 1 : 0 })
  }

  /** `os-reset_status` (admin): sets the status; `attach_status: detached` also drops every attachment. */
  async resetStatus(auth: AuthContext, id: string, input: { status?: string; attachStatus?: string }): Promise<void> {
    const db = this.#env.deps.db
    await visibleVolumeRow(db, auth, id)
    authorize(auth, 'volume_extension:volume_admin_actions:reset_status', 'admin')
    if (input.status === undefined && input.attachStatus === undefined) throw new InvalidRequest('Must specify \'status\', \'attach_status\' or \'migration_status\' for update.')
    if (input.status !== undefined && !(RESETTABLE_STATUSES as readonly string[]).includes(input.status)) throw new InvalidInput(`Must specify a valid status`)
    if (input.attachStatus !== undefined && !['attached', 'detached'].includes(input.attachStatus)) throw new InvalidInput('Must specify a valid attach status')
    await db.transaction().execute(async (tx) => {
      const values: Partial<VolumesTable> = {}
      if (input.status !== undefined) values.status = input.status
      if (input.attachStatus !== undefined) values.attach_status = input.attachStatus
      await updateVolume(tx, id, values)
      if (input.attachStatus === 'detached') await tx.deleteFrom('volume_attachments').where('volume_id', '=', id).execute()
    })
    if (input.attachStatus === 'detached') await this.#env.exports?.remove(id)
  }

  /** `os-force_delete` (admin): delete whatever the status. */
  async forceDelete(auth: AuthContext, id: string): Promise<void> {
    const row = await visibleVolumeRow(this.#env.deps.db, auth, id)
    authorize(auth, 'volume_extension:volume_admin_actions:force_delete', 'admin')
    await this.deleteRow(row, { cascade: false, force: true })
  }
}
