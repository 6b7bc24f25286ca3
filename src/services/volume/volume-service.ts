import type { AuthContext } from '../identity/auth-context.js'
import type { VolumesTable } from '../../db/tables/volume-tables.js'
import { authorize } from '../policy.js'
import type { VolumeBackend } from './backend/volume-backend.js'
import { FileVolumeBackend } from './backend/file-volume-backend.js'
import { BackgroundTasks, type VolumeDeps, type VolumeEnv, reloadVolume, visibleVolumeRow, volumeDetail, volumeDetails, volumeRow } from './volume-env.js'
import { createVolume, type CreateVolumeRequest } from './volume-create.js'
import { VolumeActions } from './volume-actions.js'
import { AttachmentsApi, beginDetachingRow, completeForServer, deleteForServer, reserveForServer, rollDetachingRow } from './volume-attachments.js'
import { LegacyAttachApi } from './volume-legacy-attach.js'
import { SnapshotsApi } from './volume-snapshots.js'
import { VolumeQuotaSets } from './volume-quota-sets.js'
import { paginate, type PageRequest } from './volume-list.js'
import { volumeNotFound } from './volume-errors.js'
import { recoverInterruptedVolumeWork, type VolumeRecovery } from './volume-recovery.js'
import type { NbdVolumeExports } from './volume-exports.js'
import type { VolumeAttachmentRecord, VolumeDetail, VolumeRecord, VolumeSnapshotRecord } from './volume-records.js'

export type {
  VolumeStatus, VolumeAttachmentRecord, VolumeRecord, VolumeSnapshotRecord,
  VolumeDetail, VolumeAttachmentDetail, VolumeSnapshotDetail,
} from './volume-records.js'
export type { CreateVolumeRequest } from './volume-create.js'

/** Keys volumes sort by (`name` is Cinder's `display_name`). */
export const VOLUME_SORT_KEYS = ['id', 'name', 'display_name', 'status', 'size', 'created_at', 'updated_at', 'availability_zone', 'bootable', 'project_id', 'user_id'] as const

/** Filters of the volume lists. */
export interface VolumeFilter {
  name?: string
  status?: string
  bootable?: boolean
  availabilityZone?: string
  metadata?: Record<string, string>
  /** Admins only: every project (`all_tenants=1`), optionally narrowed to one. */
  allTenants?: boolean
  projectId?: string
}

/** What a project uses, for `GET /limits`. */
export interface VolumeUsage {
  volumes: number
  snapshots: number
  gigabytes: number
}

function sortField(row: VolumesTable, key: string): unknown {
  return key === 'name' || key === 'display_name' ? row.name : row[key as keyof VolumesTable]
}

/** Cinder v3: volumes, snapshots and attachments over a volume backend. */
export class VolumeService {
  readonly #deps: VolumeDeps
  readonly #env: VolumeEnv
  /** Update, metadata, delete, extend, bootable, reset status, force delete. */
  readonly actions: VolumeActions
  /** The attachments API (3.27+). */
  readonly attachments: AttachmentsApi
  /** The legacy attach actions. */
  readonly legacy: LegacyAttachApi
  /** Volume snapshots. */
  readonly snapshots: SnapshotsApi
  /** Cinder's quota sets and the quota numbers of `GET /limits`. */
  readonly quotas: VolumeQuotaSets

  constructor(deps: VolumeDeps, backend: VolumeBackend = new FileVolumeBackend(deps.config.dataDir), exports: NbdVolumeExports | null = null) {
    this.#deps = deps
    this.#env = { deps, backend, tasks: new BackgroundTasks(deps.log), exports }
    this.actions = new VolumeActions(this.#env)
    this.attachments = new AttachmentsApi(this.#env)
    this.legacy = new LegacyAttachApi(this.#env)
    this.snapshots = new SnapshotsApi(this.#env)
    this.quotas = new VolumeQuotaSets(deps)
  }

  /** Cinder's `host@backend#pool` of the backend (what `os-vol-host-attr:host` shows). */
  get backendHost(): string {
    return this.#env.backend.hostName
  }

  /** Resolves when every background job (volume fills, snapshot copies) started so far is done. */
  async idle(): Promise<void> {
    await this.#env.tasks.idle()
  }

  /**
   * At start, before serving: volumes and snapshots a killed process left
   * `creating`, `extending` or `deleting` go to Cinder's error status (or
   * their delete is finished). See `volume-recovery.ts`.
   */
  async recoverInterrupted(): Promise<VolumeRecovery> {
    return recoverInterruptedVolumeWork(this.#env)
  }

  /**
   * With the NBD transport, exports every volume that has attachments (the
   * exports died with the previous process); answers their ids. Before serving.
   */
  async reexportAttached(): Promise<string[]> {
    return this.#env.exports ? this.#env.exports.reconcile(this.#deps.db) : []
  }

  /**
   * Where a hypervisor opens a volume: its file, or with the NBD transport
   * the `nbd://` URL of its export (exported now if it is not yet; QEMU sees
   * raw data, the daemon reads the file's format).
   */
  async volumeTarget(volume: VolumeRecord): Promise<{ path: string; format: 'raw' | 'qcow2' }> {
    if (!this.#env.exports) return { path: volume.backingPath, format: volume.backingFormat }
    return { path: await this.#env.exports.ensure({ id: volume.id, backing_path: volume.backingPath, backing_format: volume.backingFormat }), format: 'raw' }
  }

  /** A volume in the caller's project (admins see all); NotFound otherwise. */
  async getVolume(auth: AuthContext, id: string): Promise<VolumeRecord> {
    return this.showVolume(auth, id)
  }

  /** A snapshot in the caller's project (admins see all); NotFound otherwise. */
  async getSnapshot(auth: AuthContext, id: string): Promise<VolumeSnapshotRecord> {
    return this.snapshots.show(auth, id)
  }

  /** `GET /volumes/{id}`: the volume with everything the API shows. */
  async showVolume(auth: AuthContext, id: string): Promise<VolumeDetail> {
    const row = await visibleVolumeRow(this.#deps.db, auth, id)
    authorize(auth, 'volume:get', 'reader')
    return volumeDetail(this.#deps.db, row)
  }

  /** Any volume by id (internal); null when absent. */
  async findVolume(id: string): Promise<VolumeRecord | null> {
    const row = await volumeRow(this.#deps.db, id)
    return row ? volumeDetail(this.#deps.db, row) : null
  }

  /** The volumes of the caller's project (or, for admins with `allTenants`, of all), a page of them and the total. */
  async listVolumes(auth: AuthContext, filter: VolumeFilter, page: PageRequest): Promise<{ volumes: VolumeDetail[]; total: number }> {
    authorize(auth, 'volume:get_all', 'reader')
    let q = this.#deps.db.selectFrom('volumes').selectAll()
    if (auth.isAdmin && filter.allTenants) {
      if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId)
    } else {
      q = q.where('project_id', '=', auth.projectId ?? '')
    }
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    if (filter.status !== undefined) q = q.where('status', '=', filter.status)
    if (filter.bootable !== undefined) q = q.where('bootable', '=', filter.bootable ? 1 : 0)
    if (filter.availabilityZone !== undefined) q = q.where('availability_zone', '=', filter.availabilityZone)
    let rows = await q.execute()
    if (filter.metadata) {
      const wanted = Object.entries(filter.metadata)
      rows = rows.filter((r) => {
        const metadata = JSON.parse(r.metadata) as Record<string, string>
        return wanted.every(([k, v]) => metadata[k] === v)
      })
    }
    const pageRows = paginate(rows, page, sortField, volumeNotFound)
    return { volumes: await volumeDetails(this.#deps.db, pageRows), total: rows.length }
  }

  /**
   * Creates a volume (status `creating`), then fills it in the background
   * (blank, from an image, or from a snapshot) and makes it `available`.
   */
  async createVolume(auth: AuthContext, input: { size: number; name?: string | null; description?: string | null; imageRef?: string; snapshotId?: string; availabilityZone?: string }): Promise<VolumeRecord> {
    return createVolume(this.#env, auth, input)
  }

  /** `POST /volumes` with everything the API takes (source volume, metadata, type…). */
  async createVolumeFromRequest(auth: AuthContext, request: CreateVolumeRequest): Promise<VolumeDetail> {
    return createVolume(this.#env, auth, request)
  }

  /** Resolves when the volume leaves `creating` (or the timeout passes); returns its record. */
  async waitForVolume(id: string, timeoutMs: number): Promise<VolumeRecord> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const volume = await reloadVolume(this.#deps.db, id)
      if (volume.status !== 'creating' || Date.now() >= deadline) return volume
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Deletes a volume that is not in use (internal; e.g. delete_on_termination). */
  async deleteVolumeInternal(id: string): Promise<void> {
    const row = await volumeRow(this.#deps.db, id)
    if (!row) throw volumeNotFound(id)
    await this.actions.deleteRow(row, { cascade: false, force: false })
  }

  /** Nova's attach, step 1: an attachment in `reserved`; the volume goes `reserved`. 409 unless available. */
  async reserveAttachment(volumeId: string, instanceId: string): Promise<VolumeAttachmentRecord> {
    return reserveForServer(this.#env, volumeId, instanceId)
  }

  /** Nova's attach, step 2: the attachment is `attached`, the volume `in-use`. */
  async completeAttachment(attachmentId: string, input: { mountpoint: string; hostName: string }): Promise<VolumeAttachmentRecord> {
    return completeForServer(this.#env, attachmentId, input)
  }

  /** Nova's detach, step 1 (Cinder's begin_detaching): in-use → detaching; 400 otherwise. */
  async beginDetaching(volumeId: string): Promise<void> {
    await beginDetachingRow(this.#env, volumeId)
  }

  /** A detach that failed (Cinder's roll_detaching): detaching → in-use. */
  async rollDetaching(volumeId: string): Promise<void> {
    await rollDetachingRow(this.#env, volumeId)
  }

  /** Nova's detach (or a failed attach): the attachment is removed; the volume goes `available` when none remain. */
  async deleteAttachment(attachmentId: string): Promise<void> {
    await deleteForServer(this.#env, attachmentId)
  }

  /** A snapshot of a volume (force allows in-use volumes, as Nova passes for volume-backed createImage). */
  async createSnapshotInternal(volumeId: string, input: { name: string; description?: string; force: boolean; projectId: string }): Promise<VolumeSnapshotRecord> {
    return this.snapshots.createInternal(volumeId, input)
  }

  /** Resolves when the snapshot leaves `creating` (or the timeout passes). */
  async waitForSnapshot(id: string, timeoutMs: number): Promise<VolumeSnapshotRecord> {
    return this.snapshots.waitFor(id, timeoutMs)
  }

  /** What the caller's project holds (volumes, snapshots, GiB of both). */
  async usage(auth: AuthContext): Promise<VolumeUsage> {
    authorize(auth, 'limits_extension:used_limits', 'reader')
    const projectId = auth.projectId ?? ''
    const volumes = await this.#deps.db.selectFrom('volumes').select(['size']).where('project_id', '=', projectId).execute()
    const snapshots = await this.#deps.db.selectFrom('volume_snapshots').select(['size']).where('project_id', '=', projectId).execute()
    const gigabytes = [...volumes, ...snapshots].reduce((sum, r) => sum + r.size, 0)
    return { volumes: volumes.length, snapshots: snapshots.length, gigabytes }
  }

  /** A volume the caller may see, by id; NotFound otherwise (for routes that act on it). */
  async assertVisible(auth: AuthContext, id: string): Promise<void> {
    await visibleVolumeRow(this.#deps.db, auth, id)
  }
}
