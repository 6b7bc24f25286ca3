/** Where a volume's (or snapshot's) data lives and in which format. */
export interface BackingFile {
  path: string
  format: 'raw' | 'qcow2'
}

/** An image's data as the backend reads it. */
export interface ImageSource {
  path: string
  /** Glance's `disk_format` (qcow2, raw, vmdk, …); null lets qemu-img probe. */
  diskFormat: string | null
}

/**
 * Storage behind the volume service. Every method is one backend verb; sizes
 * are GiB and the virtual size of what is made is exactly that many GiB
 * (or more, when the source is larger and the caller allowed it).
 */
export interface VolumeBackend {
  /** Cinder's `host@backend#pool` for `os-vol-host-attr:host`. */
  readonly hostName: string
  /** Where the data of volume `id` would live (known before it exists). */
  volumePath(id: string): BackingFile
  /** An empty volume of `sizeGb`. */
  createVolume(id: string, sizeGb: number): Promise<BackingFile>
  /** A volume holding the image's data, grown to `sizeGb`. */
  createVolumeFromImage(id: string, image: ImageSource, sizeGb: number): Promise<BackingFile>
  /** A volume holding a copy of `source` (a snapshot or another volume), grown to `sizeGb`. */
  cloneVolume(id: string, source: BackingFile, sizeGb: number): Promise<BackingFile>
  /** Grows a volume's virtual size to `newSizeGb`. */
  extendVolume(volume: BackingFile, newSizeGb: number): Promise<void>
  /** A full, independent copy of a volume; `shared` reads an image a guest has open. */
  createSnapshot(snapshotId: string, volume: BackingFile, shared: boolean): Promise<BackingFile>
  /** Removes a volume's data; absent data is not an error. */
  deleteVolume(volume: BackingFile): Promise<void>
  /** Removes a snapshot's data; absent data is not an error. */
  deleteSnapshot(snapshot: BackingFile): Promise<void>
  /** Removes whatever an interrupted create left of volume `id` (data and temporary files). */
  discardVolume(id: string): Promise<void>
  /** Removes whatever an interrupted snapshot left of snapshot `snapshotId` (data and temporary files). */
  discardSnapshot(snapshotId: string): Promise<void>
  /** The virtual size in bytes of an image file, or null when it can't be read. */
  imageVirtualSize(image: ImageSource): Promise<number | null>
}
