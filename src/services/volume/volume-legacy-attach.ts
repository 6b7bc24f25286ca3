import { randomUUID } from 'node:crypto'
import type { AuthContext } from '../identity/auth-context.js'
import { authorize } from '../policy.js'
import { nowIso } from '../time.js'
import { attachmentNotFound, InvalidVolume } from './volume-errors.js'
import { casVolume, type VolumeEnv, visibleVolumeRow } from './volume-env.js'
import { beginDetachingRow, completeAttachmentRow, connectionData, driverVolumeType, removeAttachmentRow, rollDetachingRow } from './volume-attachments.js'
import { releaseExport } from './volume-exports.js'

/**
 * The legacy attach flow (`os-reserve`, `os-attach`, `os-begin_detaching`,
 * `os-detach`, …) as cinder/volume/api.py does it: each a compare-and-set on
 * the volume's status.
 */
export class LegacyAttachApi {
  readonly #env: VolumeEnv

  constructor(env: VolumeEnv) {
    this.#env = env
  }

  async #volume(auth: AuthContext, id: string, rule: string) {
    const row = await visibleVolumeRow(this.#env.deps.db, auth, id)
    authorize(auth, rule, 'member')
    return row
  }

  /** `os-reserve`: available → attaching. */
  async reserve(auth: AuthContext, id: string): Promise<void> {
    const volume = await this.#volume(auth, id, 'volume_extension:volume_actions:reserve')
    if (!(await casVolume(this.#env.deps.db, id, ['available'], { status: 'attaching' }))) {
      throw new InvalidVolume(`Volume status must be available to reserve, but the status is ${volume.status}.`)
    }
  }

  /** `os-unreserve`: attaching → in-use when attachments remain, else available; otherwise nothing. */
  async unreserve(auth: AuthContext, id: string): Promise<void> {
    await this.#volume(auth, id, 'volume_extension:volume_actions:unreserve')
    await this.#unreserve(id)
  }

  async #unreserve(id: string): Promise<void> {
    const db = this.#env.deps.db
    const attached = await db.selectFrom('volume_attachments').select('id').where('volume_id', '=', id).executeTakeFirst()
    await casVolume(db, id, ['attaching'], { status: attached ? 'in-use' : 'available' })
  }

  /** `os-begin_detaching`: in-use and attached → detaching. */
  async beginDetaching(auth: AuthContext, id: string): Promise<void> {
    await this.#volume(auth, id, 'volume_extension:volume_actions:begin_detaching')
    await beginDetachingRow(this.#env, id)
  }

  /** `os-roll_detaching`: detaching → in-use; otherwise nothing. */
  async rollDetaching(auth: AuthContext, id: string): Promise<void> {
    await this.#volume(auth, id, 'volume_extension:volume_actions:roll_detaching')
    await rollDetachingRow(this.#env, id)
  }

  /** `os-attach`: an attachment that is attached at once; the volume goes in-use. */
  async attach(auth: AuthContext, id: string, input: { instanceUuid: string | null; hostName: string | null; mountpoint: string; mode: string }): Promise<void> {
    const volume = await this.#volume(auth, id, 'volume_extension:volume_actions:attach')
    if (!['rw', 'ro'].includes(input.mode)) throw new InvalidVolume(`Invalid attaching mode '${input.mode}' for volume ${id}.`)
    if (volume.status === 'in-use') throw new InvalidVolume('volume is already attached')
    if (!['available', 'attaching', 'reserved'].includes(volume.status)) {
      throw new InvalidVolume(`Volume ${id} status must be available or attaching or reserved to attach, but the current status is ${volume.status}.`)
    }
    const db = this.#env.deps.db
    const now = nowIso()
    await db.transaction().execute(async (tx) => {
      const row = {
        id: randomUUID(), volume_id: id, instance_uuid: input.instanceUuid, status: 'attaching', attach_mode: input.mode,
        mountpoint: input.mountpoint, host_name: input.hostName, connector: null, connection_info: null,
        attached_at: now, created_at: now, updated_at: now,
      }
      await tx.insertInto('volume_attachments').values(row).execute()
      await completeAttachmentRow(tx, row)
    })
  }

  /** `os-detach`: removes the named attachment (or the only one); the volume's status follows the rest. */
  async detach(auth: AuthContext, id: string, attachmentId: string | null): Promise<void> {
    await this.#volume(auth, id, 'volume_extension:volume_actions:detach')
    const db = this.#env.deps.db
    const attachments = await db.selectFrom('volume_attachments').selectAll().where('volume_id', '=', id).execute()
    const target = attachmentId ? attachments.find((a) => a.id === attachmentId) : attachments[0]
    if (attachmentId && !target) throw attachmentNotFound(attachmentId)
    if (!attachmentId && attachments.length > 1) throw new InvalidVolume('Detach volume failed: More than one attachment, but no attachment_id provided.')
    if (!target) {
      await casVolume(db, id, ['detaching', 'in-use', 'attaching'], { status: 'available', attach_status: 'detached' })
      return
    }
    await db.transaction().execute((tx) => removeAttachmentRow(tx, target))
    await releaseExport(db, this.#env.exports, id)
  }

  /** `os-initialize_connection`: the driver's connection info (`driver_volume_type` and `data`). */
  async initializeConnection(auth: AuthContext, id: string): Promise<Record<string, unknown>> {
    const volume = await this.#volume(auth, id, 'volume_extension:volume_actions:initialize_connection')
    if (volume.status === 'maintenance') throw new InvalidVolume('The volume connection cannot be initialized in maintenance mode.')
    const exports = this.#env.exports ?? null
    return { driver_volume_type: driverVolumeType(exports), data: connectionData(volume, exports) }
  }

  /** `os-terminate_connection`: nothing to tear down for a file; then unreserve. */
  async terminateConnection(auth: AuthContext, id: string): Promise<void> {
    await this.#volume(auth, id, 'volume_extension:volume_actions:terminate_connection')
    await this.#unreserve(id)
  }
}
