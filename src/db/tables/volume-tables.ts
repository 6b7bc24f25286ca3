/**
 * Row types of the volume tables (Cinder v3). Booleans are 0/1, timestamps
 * ISO strings, JSON as text.
 */
export interface VolumesTable {
  id: string
  project_id: string
  user_id: string
  name: string | null
  description: string | null
  size: number
  status: string
  /** Cinder's `attach_status`: detached, reserved, attaching, attached, detaching. */
  attach_status: string
  bootable: number
  availability_zone: string
  snapshot_id: string | null
  source_volid: string | null
  /** JSON object of user metadata. */
  metadata: string
  /** JSON object of Cinder's `volume_image_metadata`; `{}` when not from an image. */
  image_metadata: string
  backing_path: string
  backing_format: string
  created_at: string
  updated_at: string
}

export interface VolumeAttachmentsTable {
  id: string
  volume_id: string
  instance_uuid: string | null
  /** reserved, attaching, attached, detaching, error_attaching. */
  status: string
  attach_mode: string
  mountpoint: string | null
  host_name: string | null
  /** JSON of the connector the client sent, or null. */
  connector: string | null
  /** JSON of the connection info handed out, or null. */
  connection_info: string | null
  attached_at: string | null
  created_at: string
  updated_at: string
}

export interface VolumeSnapshotsTable {
  id: string
  volume_id: string
  project_id: string
  user_id: string
  name: string | null
  description: string | null
  size: number
  status: string
  progress: string
  metadata: string
  /** The source volume's image metadata and bootable flag, copied at snapshot time (as Cinder does). */
  image_metadata: string
  bootable: number
  backing_path: string
  created_at: string
  updated_at: string
}

export interface VolumeTables {
  volumes: VolumesTable
  volume_attachments: VolumeAttachmentsTable
  volume_snapshots: VolumeSnapshotsTable
}
