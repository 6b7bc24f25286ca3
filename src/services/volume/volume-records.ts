import type { VolumeAttachmentsTable, VolumeSnapshotsTable, VolumesTable } from '../../db/tables/volume-tables.js'

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

/** An attachment with what the attachments API shows besides. */
export interface VolumeAttachmentDetail extends VolumeAttachmentRecord {
  /** Null when the attachment was made without a server (Cinder allows it). */
  instanceUuid: string | null
  attachMode: string
  connector: Record<string, unknown> | null
  connectionInfo: Record<string, unknown> | null
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

/** A volume with everything the volume API shows. */
export interface VolumeDetail extends VolumeRecord {
  attachStatus: string
  snapshotId: string | null
  sourceVolId: string | null
  metadata: Record<string, string>
  attachments: VolumeAttachmentDetail[]
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

/** A snapshot with everything the snapshots API shows. */
export interface VolumeSnapshotDetail extends VolumeSnapshotRecord {
  userId: string
  progress: string
  metadata: Record<string, string>
  updatedAt: string
}

/** Parses a JSON text column holding an object; a damaged value reads as empty. */
export function parseJsonObject<T = Record<string, string>>(text: string | null): T {
  if (!text) return {} as T
  try {
    const value = JSON.parse(text) as unknown
    return (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as T
  } catch {
    return {} as T
  }
}

/** An attachment row as a record. */
export function attachmentFromRow(row: VolumeAttachmentsTable): VolumeAttachmentDetail {
  return {
    id: row.id,
    volumeId: row.volume_id,
    instanceId: row.instance_uuid ?? '',
    instanceUuid: row.instance_uuid,
    status: row.status as VolumeAttachmentRecord['status'],
    attachedAt: row.attached_at,
    mountpoint: row.mountpoint,
    hostName: row.host_name,
    attachMode: row.attach_mode,
    connector: row.connector === null ? null : parseJsonObject<Record<string, unknown>>(row.connector),
    connectionInfo: row.connection_info === null ? null : parseJsonObject<Record<string, unknown>>(row.connection_info),
  }
}

/** A volume row and its attachment rows as a record. */
export function volumeFromRow(row: VolumesTable, attachments: VolumeAttachmentsTable[]): VolumeDetail {
  return {
    id: row.id,
    projectId: row.project_id,
    userId: row.user_id,
    name: row.name,
    description: row.description,
    size: row.size,
    status: row.status as VolumeStatus,
    attachStatus: row.attach_status,
    bootable: row.bootable === 1,
    availabilityZone: row.availability_zone,
    snapshotId: row.snapshot_id,
    sourceVolId: row.source_volid,
    metadata: parseJsonObject(row.metadata),
    imageMetadata: parseJsonObject(row.image_metadata),
    attachments: attachments.map(attachmentFromRow),
    backingPath: row.backing_path,
    backingFormat: row.backing_format as 'raw' | 'qcow2',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** A snapshot row as a record. */
export function snapshotFromRow(row: VolumeSnapshotsTable): VolumeSnapshotDetail {
  return {
    id: row.id,
    volumeId: row.volume_id,
    projectId: row.project_id,
    userId: row.user_id,
    name: row.name,
    description: row.description,
    size: row.size,
    status: row.status as VolumeSnapshotRecord['status'],
    progress: row.progress,
    metadata: parseJsonObject(row.metadata),
    backingPath: row.backing_path,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
