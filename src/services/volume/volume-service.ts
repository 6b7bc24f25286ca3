import type { ServiceDeps } from '../service-deps.js'
import type { AuthContext } from '../identity/auth-context.js'

export type VolumeStatus =
  | 'creating' | 'available' | 'reserved' | 'attaching' | 'in-use' | 'detaching' | 'maintenance'
  | 'deleting' | 'error' | 'error_deleting' | 'error_extending' | 'extending' | 'backing-up' | 'restoring-backup'

/** One attachment of a volume to a server (Cinder's attachment record). */
export interface VolumeAttachmentRecord {
  id: string
  volumeId: string
  instanceId: string
  status: 'reserved' | 'attaching' | 'attached' | 'detaching'
  attachedAt: string | null
  mountpoint: string | null
  hostName: string | null
}

/** A volume as the other services see it. */
export interface VolumeRecord {
  id: string
  projectId: string
  userId: string
  name: string | null
  description: string | null
  size: number
  status: VolumeStatus
  bootable: boolean
  availabilityZone: string
  /** Cinder's `volume_image_metadata` (image_id, image_name, properties…), empty when not from an image. */
  imageMetadata: Record<string, string>
  attachments: VolumeAttachmentRecord[]
  /** Where the backend keeps the data, and in which format (what a hypervisor attaches). */
  backingPath: string
  backingFormat: 'raw' | 'qcow2'
  createdAt: string
  updatedAt: string
}

export interface VolumeSnapshotRecord {
  id: string
  volumeId: string
  projectId: string
  name: string | null
  description: string | null
  size: number
  status: 'creating' | 'available' | 'deleting' | 'error' | 'error_deleting'
  backingPath: string
  createdAt: string
}

/** Cinder v3: volumes, snapshots and attachments over a volume backend. */
export class VolumeService {
  readonly #deps: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.#deps = deps
  }

  /** A volume in the caller's project (admins see all); NotFound otherwise. */
  async getVolume(auth: AuthContext, id: string): Promise<VolumeRecord> {
    void auth
    void id
    void this.#deps
    throw new Error('not implemented')
  }

  /** Any volume by id (internal); null when absent. */
  async findVolume(id: string): Promise<VolumeRecord | null> {
    void id
    throw new Error('not implemented')
  }

  /**
   * Creates a volume (status `creating`), then fills it in the background
   * (blank, from an image, or from a snapshot) and makes it `available`.
   */
  async createVolume(auth: AuthContext, input: { size: number; name?: string | null; description?: string | null; imageRef?: string; snapshotId?: string; availabilityZone?: string }): Promise<VolumeRecord> {
    void auth
    void input
    throw new Error('not implemented')
  }

  /** Resolves when the volume leaves `creating` (or the timeout passes); returns its record. */
  async waitForVolume(id: string, timeoutMs: number): Promise<VolumeRecord> {
    void id
    void timeoutMs
    throw new Error('not implemented')
  }

  /** Deletes a volume that is not in use (internal; e.g. delete_on_termination). */
  async deleteVolumeInternal(id: string): Promise<void> {
    void id
    throw new Error('not implemented')
  }

  /** Nova's attach, step 1: an attachment in `reserved`; the volume goes `reserved`. 409 unless available. */
  async reserveAttachment(volumeId: string, instanceId: string): Promise<VolumeAttachmentRecord> {
    void volumeId
    void instanceId
    throw new Error('not implemented')
  }

  /** Nova's attach, step 2: the attachment is `attached`, the volume `in-use`. */
  async completeAttachment(attachmentId: string, input: { mountpoint: string; hostName: string }): Promise<VolumeAttachmentRecord> {
    void attachmentId
    void input
    throw new Error('not implemented')
  }

  /** Nova's detach (or a failed attach): the attachment is removed; the volume goes `available` when none remain. */
  async deleteAttachment(attachmentId: string): Promise<void> {
    void attachmentId
    throw new Error('not implemented')
  }

  /** A snapshot of a volume (force allows in-use volumes, as Nova passes for volume-backed createImage). */
  async createSnapshotInternal(volumeId: string, input: { name: string; description?: string; force: boolean; projectId: string }): Promise<VolumeSnapshotRecord> {
    void volumeId
    void input
    throw new Error('not implemented')
  }
}
