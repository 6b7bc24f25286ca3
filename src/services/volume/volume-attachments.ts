import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/schema.js'
import type { VolumeAttachmentsTable, VolumesTable } from '../../db/tables/volume-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { Conflict } from '../errors.js'
import { authorize } from '../policy.js'
import { nowIso } from '../time.js'
import { attachmentNotFound, InvalidVolume, orList, ResourceConflict, volumeNotFound } from './volume-errors.js'
import { casVolume, settleVolumeStatus, updateVolume, type VolumeEnv, volumeRow } from './volume-env.js'
import { attachmentFromRow, type VolumeAttachmentDetail } from './volume-records.js'
import { ServiceErrorCode } from '../error-codes.js'
import { releaseExport, type NbdVolumeExports } from './volume-exports.js'

/** What a connector (the client host's description) may carry; only these keys matter here. */
export interface Connector {
  host?: string
  mountpoint?: string
  mode?: string
  [key: string]: unknown
}

/**
 * The backend's connection data for a volume: the file a hypervisor opens,
 * and its format; or, with the NBD transport, the export (`volume-exports.ts`).
 */
export function connectionData(volume: VolumesTable, exports: NbdVolumeExports | null = null): Record<string, unknown> {
  if (exports) return exports.connectionData(volume)
  return { name: `volume-${volume.id}`, volume_id: volume.id, path: volume.backing_path, format: volume.backing_format, access_mode: 'rw' }
}

/** Cinder's `driver_volume_type` of the transport. */
export function driverVolumeType(exports: NbdVolumeExports | null): string {
  return exports ? 'nbd' : 'file'
}

/**
 * The attachments API's `connection_info`: Cinder's volume manager flattens
 * the driver's `data` next to `driver_volume_type` and adds the attachment id
 * (cinder/volume/manager.py `_connection_create`).
 */
export function attachmentConnectionInfo(volume: VolumesTable, attachmentId: string, exports: NbdVolumeExports | null = null): Record<string, unknown> {
  return { driver_volume_type: driverVolumeType(exports), ...connectionData(volume, exports), attachment_id: attachmentId }
}

const RESERVABLE = ['available', 'downloading'] as const

/**
 * Cinder's `_attachment_reserve`: the volume goes `reserved` from available;
 * a second reservation for a server that already has one is allowed (a
 * migrating server). Then a `reserved` attachment row.
 */
export async function reserveAttachmentRow(db: Db, volume: VolumesTable, instanceUuid: string | null): Promise<VolumeAttachmentsTable> {
  if (volume.status.includes('error')) {
    throw new InvalidVolume(`Volume attachments can not be created if the volume is in an error state. The Volume ${volume.id} currently has a status of: ${volume.status} `)
  }
  if (!(await casVolume(db, volume.id, RESERVABLE, { status: 'reserved' }))) {
    const current = (await volumeRow(db, volume.id))?.status ?? volume.status
    const sameServer = instanceUuid !== null && ['in-use', 'reserved'].includes(current) &&
      (await db.selectFrom('volume_attachments').select('id').where('volume_id', '=', volume.id).where('instance_uuid', '=', instanceUuid).executeTakeFirst()) !== undefined
    if (!sameServer) {
      throw new InvalidVolume(`Volume ${volume.id} status must be ${orList(RESERVABLE)} to reserve, but the current status is ${current}.`)
    }
  }
  const now = nowIso()
  const row: VolumeAttachmentsTable = {
    id: randomUUID(), volume_id: volume.id, instance_uuid: instanceUuid, status: 'reserved', attach_mode: 'null',
    mountpoint: null, host_name: null, connector: null, connection_info: null, attached_at: null, created_at: now, updated_at: now,
  }
  await db.insertInto('volume_attachments').values(row).execute()
  return row
}

/**
 * Cinder's `attachment_update` with a connector: the attachment (and the
 * volume) go `attaching` and the connection info is handed out.
 */
export async function connectAttachmentRow(db: Db, attachment: VolumeAttachmentsTable, connector: Connector, exports: NbdVolumeExports | null = null): Promise<VolumeAttachmentsTable> {
  const volume = await volumeRow(db, attachment.volume_id)
  if (!volume) throw volumeNotFound(attachment.volume_id)
  if (volume.status.includes('error')) {
    throw new ResourceConflict(`Volume attachments can not be updated if the volume is in an error state. The Volume ${volume.id} currently has a status of: ${volume.status} `)
  }
  const mode = attachment.attach_mode !== 'null' ? attachment.attach_mode : typeof connector.mode === 'string' ? connector.mode : 'rw'
  const values = {
    status: 'attaching', attach_mode: mode, connector: JSON.stringify({ ...connector, mode }),
    connection_info: JSON.stringify(attachmentConnectionInfo(volume, attachment.id, exports)),
    mountpoint: typeof connector.mountpoint === 'string' ? connector.mountpoint : 'na',
    host_name: typeof connector.host === 'string' ? connector.host : '',
    attached_at: nowIso(), updated_at: nowIso(),
  }
  await db.updateTable('volume_attachments').set(values).where('id', '=', attachment.id).execute()
  await updateVolume(db, volume.id, { status: 'attaching', attach_status: 'attaching' })
  return { ...attachment, ...values }
}

/** `os-complete`: the attachment is `attached`, the volume `in-use`. */
export async function completeAttachmentRow(db: Db, attachment: VolumeAttachmentsTable, extra: Partial<VolumeAttachmentsTable> = {}): Promise<VolumeAttachmentsTable> {
  const values = { status: 'attached', updated_at: nowIso(), ...extra }
  await db.updateTable('volume_attachments').set(values).where('id', '=', attachment.id).execute()
  await updateVolume(db, attachment.volume_id, { status: 'in-use', attach_status: 'attached' })
  return { ...attachment, ...values }
}

/** Cinder's `finish_detach`: the attachment is gone and the volume's status follows the rest. */
export async function removeAttachmentRow(db: Db, attachment: VolumeAttachmentsTable): Promise<void> {
  await db.deleteFrom('volume_attachments').where('id', '=', attachment.id).execute()
  await settleVolumeStatus(db, attachment.volume_id)
}

/** An attachment whose volume the caller may see; NotFound otherwise. */
export async function visibleAttachmentRow(db: Db, auth: AuthContext, id: string): Promise<VolumeAttachmentsTable> {
  const row = await db.selectFrom('volume_attachments').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw attachmentNotFound(id)
  const volume = await volumeRow(db, row.volume_id)
  if (!volume || (!auth.isAdmin && volume.project_id !== auth.projectId)) throw attachmentNotFound(id)
  return row
}

/** Filters of `GET /attachments`. */
export interface AttachmentFilter {
  volumeId?: string
  status?: string
  instanceId?: string
  allTenants?: boolean
  limit?: number
}

/** The attachments API: create (reserve, and connect when a connector is given), show, list, update, complete, delete. */
export class AttachmentsApi {
  readonly #env: VolumeEnv

  constructor(env: VolumeEnv) {
    this.#env = env
  }

  async create(auth: AuthContext, input: { volumeId: string; instanceUuid: string | null; connector: Connector | null; mode?: string }): Promise<VolumeAttachmentDetail> {
    authorize(auth, 'volume:attachment_create', 'member')
    const db = this.#env.deps.db
    const volume = await volumeRow(db, input.volumeId)
    if (!volume || (!auth.isAdmin && volume.project_id !== auth.projectId)) throw volumeNotFound(input.volumeId)
    const row = await db.transaction().execute(async (tx) => {
      let attachment = await reserveAttachmentRow(tx, volume, input.instanceUuid)
      if (input.mode && input.mode !== 'null') {
        await tx.updateTable('volume_attachments').set({ attach_mode: input.mode }).where('id', '=', attachment.id).execute()
        attachment = { ...attachment, attach_mode: input.mode }
      }
      return input.connector ? connectAttachmentRow(tx, attachment, input.connector, this.#env.exports ?? null) : attachment
    })
    // Cinder answers a bare reservation with an empty connection_info.
    const detail = attachmentFromRow(row)
    return { ...detail, connectionInfo: detail.connectionInfo ?? {} }
  }

  async show(auth: AuthContext, id: string): Promise<VolumeAttachmentDetail> {
    authorize(auth, 'volume:attachment_get', 'reader')
    return attachmentFromRow(await visibleAttachmentRow(this.#env.deps.db, auth, id))
  }

  async list(auth: AuthContext, filter: AttachmentFilter): Promise<VolumeAttachmentDetail[]> {
    authorize(auth, 'volume:attachment_get_all', 'reader')
    let q = this.#env.deps.db.selectFrom('volume_attachments').innerJoin('volumes', 'volumes.id', 'volume_attachments.volume_id')
      .selectAll('volume_attachments')
    if (!(auth.isAdmin && filter.allTenants)) q = q.where('volumes.project_id', '=', auth.projectId ?? '')
    if (filter.volumeId) q = q.where('volume_attachments.volume_id', '=', filter.volumeId)
    if (filter.status) q = q.where('volume_attachments.status', '=', filter.status)
    if (filter.instanceId) q = q.where('volume_attachments.instance_uuid', '=', filter.instanceId)
    q = q.orderBy('volume_attachments.created_at', 'desc').orderBy('volume_attachments.id', 'desc')
    if (filter.limit !== undefined) q = q.limit(filter.limit)
    return (await q.execute()).map(attachmentFromRow)
  }

  async update(auth: AuthContext, id: string, connector: Connector): Promise<VolumeAttachmentDetail> {
    authorize(auth, 'volume:attachment_update', 'member')
    const db = this.#env.deps.db
    const attachment = await visibleAttachmentRow(db, auth, id)
    return attachmentFromRow(await db.transaction().execute((tx) => connectAttachmentRow(tx, attachment, connector, this.#env.exports ?? null)))
  }

  async complete(auth: AuthContext, id: string): Promise<void> {
    authorize(auth, 'volume:attachment_complete', 'member')
    const db = this.#env.deps.db
    const attachment = await visibleAttachmentRow(db, auth, id)
    await db.transaction().execute((tx) => completeAttachmentRow(tx, attachment))
  }

  /** Deletes one attachment; returns the volume's remaining attachments. */
  async delete(auth: AuthContext, id: string): Promise<VolumeAttachmentDetail[]> {
    authorize(auth, 'volume:attachment_delete', 'member')
    const db = this.#env.deps.db
    const attachment = await visibleAttachmentRow(db, auth, id)
    await db.transaction().execute((tx) => removeAttachmentRow(tx, attachment))
    await releaseExport(db, this.#env.exports, attachment.volume_id)
    const rest = await db.selectFrom('volume_attachments').selectAll().where('volume_id', '=', attachment.volume_id).execute()
    return rest.map(attachmentFromRow)
  }
}

/** The internal reserve of the compute contract: Cinder's 400 becomes the contract's 409. */
export async function reserveForServer(env: VolumeEnv, volumeId: string, instanceId: string): Promise<VolumeAttachmentDetail> {
  const db = env.deps.db
  const volume = await volumeRow(db, volumeId)
  if (!volume) throw volumeNotFound(volumeId)
  try {
    return attachmentFromRow(await db.transaction().execute((tx) => reserveAttachmentRow(tx, volume, instanceId)))
  } catch (error) {
    if (error instanceof InvalidVolume) throw new Conflict(error.message, ServiceErrorCode.VOLUME_NOT_RESERVABLE)
    throw error
  }
}

/** The internal complete of the compute contract: connected by the named host at the mountpoint, then attached. */
export async function completeForServer(env: VolumeEnv, attachmentId: string, input: { mountpoint: string; hostName: string }): Promise<VolumeAttachmentDetail> {
  const db = env.deps.db
  const attachment = await db.selectFrom('volume_attachments').selectAll().where('id', '=', attachmentId).executeTakeFirst()
  if (!attachment) throw attachmentNotFound(attachmentId)
  const volume = await volumeRow(db, attachment.volume_id)
  if (!volume) throw volumeNotFound(attachment.volume_id)
  const row = await db.transaction().execute((tx) => completeAttachmentRow(tx, attachment, {
    mountpoint: input.mountpoint, host_name: input.hostName, attached_at: nowIso(), attach_mode: 'rw',
    connector: JSON.stringify({ host: input.hostName, mountpoint: input.mountpoint, mode: 'rw' }),
    connection_info: JSON.stringify(attachmentConnectionInfo(volume, attachment.id, env.exports ?? null)),
  }))
  return attachmentFromRow(row)
}

/** The internal delete of the compute contract. */
export async function deleteForServer(env: VolumeEnv, attachmentId: string): Promise<void> {
  const db = env.deps.db
  const attachment = await db.selectFrom('volume_attachments').selectAll().where('id', '=', attachmentId).executeTakeFirst()
  if (!attachment) throw attachmentNotFound(attachmentId)
  await db.transaction().execute((tx) => removeAttachmentRow(tx, attachment))
  await releaseExport(db, env.exports, attachment.volume_id)
}

/** Cinder's begin_detaching: in-use and attached → detaching; 400 otherwise. */
export async function beginDetachingRow(env: VolumeEnv, volumeId: string): Promise<void> {
  const result = await env.deps.db.updateTable('volumes').set({ status: 'detaching', updated_at: nowIso() })
    .where('id', '=', volumeId).where('status', '=', 'in-use').where('attach_status', '=', 'attached').executeTakeFirst()
  if (Number(result.numUpdatedRows) === 0) {
    throw new InvalidVolume("Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.")
  }
}

/** Cinder's roll_detaching: detaching → in-use; otherwise nothing. */
export async function rollDetachingRow(env: VolumeEnv, volumeId: string): Promise<void> {
  await casVolume(env.deps.db, volumeId, ['detaching'], { status: 'in-use' })
}
