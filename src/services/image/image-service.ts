import type { ServiceDeps } from '../service-deps.js'
import type { AuthContext } from '../identity/auth-context.js'

/** An image as the other services see it (Glance's view, minus HTTP). */
export interface ImageRecord {
  id: string
  name: string | null
  status: 'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'pending_delete' | 'importing' | 'uploading'
  visibility: 'public' | 'private' | 'shared' | 'community'
  owner: string
  diskFormat: string | null
  containerFormat: string | null
  size: number | null
  virtualSize: number | null
  minDisk: number
  minRam: number
  protected: boolean
  checksum: string | null
  osHashAlgo: string | null
  osHashValue: string | null
  /** Custom properties (`hw_rescue_device`, `block_device_mapping`, …), all as Glance stores them. */
  properties: Record<string, string>
  tags: string[]
  createdAt: string
  updatedAt: string
}

/** Input for an image made by another service (compute's createImage). */
export interface NewImage {
  name: string
  owner: string
  visibility?: 'public' | 'private' | 'shared' | 'community'
  diskFormat?: string
  containerFormat?: string
  minDisk?: number
  minRam?: number
  properties?: Record<string, string>
}

/** Glance v2: image records, their data files under the data folder, visibility rules. */
export class ImageService {
  readonly #deps: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.#deps = deps
  }

  /** An image the caller may see (own project, public, shared/community rules); NotFound otherwise. */
  async getImage(auth: AuthContext, id: string): Promise<ImageRecord> {
    void auth
    void id
    void this.#deps
    throw new Error('not implemented')
  }

  /** Any image by id, no visibility check (internal use by compute and volume); null when absent. */
  async findImage(id: string): Promise<ImageRecord | null> {
    void id
    throw new Error('not implemented')
  }

  /** Absolute path of an active image's data file. */
  imageFilePath(id: string): string {
    return id
  }

  /** Creates a queued image record owned by `input.owner` (for snapshots); returns it. */
  async createImageRecord(input: NewImage): Promise<ImageRecord> {
    void input
    throw new Error('not implemented')
  }

  /** Moves `sourcePath` in as the image's data (computing size and hashes) and makes it active. */
  async importImageFile(id: string, sourcePath: string): Promise<ImageRecord> {
    void id
    void sourcePath
    throw new Error('not implemented')
  }

  /** Marks an image as failed (`killed`), e.g. when a snapshot fails. */
  async killImage(id: string): Promise<void> {
    void id
    throw new Error('not implemented')
  }

  /** Deletes an image and its data, ignoring protection (internal clean-up). */
  async deleteImageInternal(id: string): Promise<void> {
    void id
    throw new Error('not implemented')
  }
}
