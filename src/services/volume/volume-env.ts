import type { Logger } from 'pino'
import type { Db } from '../../db/schema.js'
import type { VolumeAttachmentsTable, VolumesTable } from '../../db/tables/volume-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { ConfiguredStore } from '../store.js'
import type { ImageRecord } from '../image/image-service.js'
import type { VolumeBackend } from './backend/volume-backend.js'
import { volumeFromRow, type VolumeDetail } from './volume-records.js'
import { volumeNotFound } from './volume-errors.js'
import { nowIso } from '../time.js'
import type { NbdVolumeExports } from './volume-exports.js'

/** The availability zone Lifeboat's volumes live in (Cinder's default). */
export const VOLUME_AVAILABILITY_ZONE = 'nova'

/** Work that runs after the API call answered; every task handles its own failure. */
export class BackgroundTasks {
  readonly #running = new Set<Promise<void>>()
  readonly #log: Logger

  constructor(log: Logger) {
    this.#log = log
  }

  /** Starts `work`; errors are the task's business, never unhandled (logged if one escapes). */
  run(work: () => Promise<void>): void {
    const task = work().catch((error: unknown) => this.#log.warn({ err: error }, 'a background volume task failed')).finally(() => this.#running.delete(task))
    this.#running.add(task)
  }

  /** Resolves when every task started so far has finished. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running])
  }
}

/** Images as the volume service reads them (the image service): volumes made from an image. */
export interface ImageSource {
  getImage(auth: AuthContext, id: string): Promise<ImageRecord>
  imageFilePath(id: string): string
}

/** What the volume service is built with. */
export interface VolumeDeps extends ConfiguredStore {
  readonly images: ImageSource
}

/** What the volume modules share: the deps, the backend and the background tasks. */
export interface VolumeEnv {
  readonly deps: VolumeDeps
  readonly backend: VolumeBackend
  readonly tasks: BackgroundTasks
  /** The NBD transport (LIFEBOAT_VOLUME_TRANSPORT=nbd); absent: hypervisors open the files. */
  readonly exports?: NbdVolumeExports | null
}

/** The volume row, or undefined. */
export async function volumeRow(db: Db, id: string): Promise<VolumesTable | undefined> {
  return db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirst()
}

/** A volume the caller may see: its own project's, or any for an admin. NotFound otherwise. */
export async function visibleVolumeRow(db: Db, auth: AuthContext, id: string): Promise<VolumesTable> {
  const row = await volumeRow(db, id)
  if (!row || (!auth.isAdmin && row.project_id !== auth.projectId)) throw volumeNotFound(id)
  return row
}

/** The attachment rows of some volumes, oldest first. */
export async function attachmentRows(db: Db, volumeIds: string[]): Promise<VolumeAttachmentsTable[]> {
  if (volumeIds.length === 0) return []
  return db.selectFrom('volume_attachments').selectAll().where('volume_id', 'in', volumeIds).orderBy('created_at').orderBy('id').execute()
}

/** Volume rows as records, with their attachments. */
export async function volumeDetails(db: Db, rows: VolumesTable[]): Promise<VolumeDetail[]> {
  const attachments = await attachmentRows(db, rows.map((r) => r.id))
  return rows.map((row) => volumeFromRow(row, attachments.filter((a) => a.volume_id === row.id)))
}

/** One volume row as a record, with its attachments. */
export async function volumeDetail(db: Db, row: VolumesTable): Promise<VolumeDetail> {
  return (await volumeDetails(db, [row]))[0]!
}

/** Re-reads a volume by id as a record; NotFound when it is gone. */
export async function reloadVolume(db: Db, id: string): Promise<VolumeDetail> {
  const row = await volumeRow(db, id)
  if (!row) throw volumeNotFound(id)
  return volumeDetail(db, row)
}

/**
 * Compare-and-set of a volume's columns: applies `values` only while the
 * status is one of `from`. True when the row changed.
 */
export async function casVolume(db: Db, id: string, from: readonly string[], values: Partial<VolumesTable>): Promise<boolean> {
  const result = await db.updateTable('volumes').set({ ...values, updated_at: nowIso() })
    .where('id', '=', id).where('status', 'in', [...from]).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Sets a volume's columns unconditionally. */
export async function updateVolume(db: Db, id: string, values: Partial<VolumesTable>): Promise<void> {
  await db.updateTable('volumes').set({ ...values, updated_at: nowIso() }).where('id', '=', id).execute()
}

// cinder/db/api.py ATTACH_STATUS_MAP: the volume status that follows an attach status.
const ATTACH_STATUS_MAP: Record<string, string> = { attached: 'in-use', detached: 'available' }

/**
 * Cinder's `volume_detached`: the volume's status and attach status follow
 * from its remaining attachments (the lowest status by name wins, so any
 * attached one makes the volume in-use); none left means available.
 */
export async function settleVolumeStatus(db: Db, volumeId: string): Promise<void> {
  const rows = await db.selectFrom('volume_attachments').select('status').where('volume_id', '=', volumeId).execute()
  const statuses = rows.map((r) => r.status).filter((s) => !s.startsWith('error_')).sort()
  const attachStatus = statuses[0] ?? 'detached'
  await updateVolume(db, volumeId, { attach_status: attachStatus, status: ATTACH_STATUS_MAP[attachStatus] ?? attachStatus })
}
