import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import type { ConfiguredStore } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import { authorize, scopedProjectId } from '../policy.js'
import { Conflict, Forbidden, NotFound } from '../errors.js'
import { nowIso } from '../time.js'
import { inspectDiskFile } from './disk-inspector.js'
import { assertMayChange, canSeeImage, memberStatus } from './image-access.js'
import { parseImageCreate } from './image-attributes.js'
import { hashFile, imagesDir, moveFile, removeQuietly } from './image-data.js'
import { listImages, parseImageListQuery, type RawQuery } from './image-list.js'
import * as members from './image-members.js'
import { applyImageChanges, parseImagePatch, patchDraftOf, type ImageDraft } from './image-patch.js'
import { loadImage, type ImageRecord } from './image-records.js'
import { ImageNotFound } from './image-errors.js'
import { insertImage, moveStatus, removeImageRow, saveDraft } from './image-store.js'
import { receiveImageData } from './image-upload.js'
import { ServiceErrorCode } from '../error-codes.js'
import { recoverInterruptedUploads } from './image-recovery.js'

export type { ImageRecord } from './image-records.js'

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

/** Where to read an image's data from, for a download. */
export interface ImageData {
  path: string
  size: number
  checksum: string | null
}

/** Glance v2: image records, their data files under the data folder, visibility rules. */
export class ImageService {
  readonly #deps: ConfiguredStore

  constructor(deps: ConfiguredStore) {
    this.#deps = deps
  }

  get #db() {
    return this.#deps.db
  }

  /** An image the caller may see (own project, public, shared/community rules); NotFound otherwise. */
  async getImage(auth: AuthContext, id: string): Promise<ImageRecord> {
    authorize(auth, 'get_image', 'reader')
    const image = await loadImage(this.#db, id)
    if (!image || !canSeeImage(auth, image, await memberStatus(this.#db, id, auth.projectId))) {
      throw new ImageNotFound(id)
    }
    return image
  }

  /** Any image by id, no visibility check (internal use by compute and volume); null when absent. */
  async findImage(id: string): Promise<ImageRecord | null> {
    return loadImage(this.#db, id)
  }

  /** Absolute path of an active image's data file. */
  imageFilePath(id: string): string {
    return path.resolve(imagesDir(this.#deps.config.dataDir), path.basename(id))
  }

  /** Creates a queued image record owned by `input.owner` (for snapshots); returns it. */
  async createImageRecord(input: NewImage): Promise<ImageRecord> {
    const id = await insertImage(this.#db, {
      name: input.name, owner: input.owner, visibility: input.visibility ?? 'shared',
      diskFormat: input.diskFormat ?? null, containerFormat: input.containerFormat ?? null,
      minDisk: input.minDisk ?? 0, minRam: input.minRam ?? 0, protected: false, osHidden: false,
      properties: input.properties ?? {}, tags: [],
    })
    return (await loadImage(this.#db, id))!
  }

  /** Moves `sourcePath` in as the image's data (computing size and hashes) and makes it active. */
  async importImageFile(id: string, sourcePath: string): Promise<ImageRecord> {
    if (!(await loadImage(this.#db, id))) throw new ImageNotFound(id)
    const target = this.imageFilePath(id)
    await moveFile(sourcePath, target)
    const digest = await hashFile(target)
    const info = await inspectDiskFile(target)
    const done = await moveStatus(this.#db, id, ['queued', 'saving', 'importing', 'uploading', 'killed'], 'active', {
      size: digest.size, virtual_size: info && info.format !== 'unknown' ? info.virtualSize : digest.size,
      checksum: digest.checksum, os_hash_algo: digest.osHashAlgo, os_hash_value: digest.osHashValue,
    })
    if (!done) {
      await removeQuietly(target)
      throw new Conflict(`Image ${id} can't take data in its current status`, ServiceErrorCode.IMAGE_BAD_TRANSITION)
    }
    return (await loadImage(this.#db, id))!
  }

  /** At start, before serving: images a killed process left `saving` go back to `queued` (`image-recovery.ts`). */
  async recoverInterrupted(): Promise<string[]> {
    return recoverInterruptedUploads(this.#db, this.#deps.log, this.#deps.config.dataDir)
  }

  /** Marks an image as failed (`killed`), e.g. when a snapshot fails. */
  async killImage(id: string): Promise<void> {
    await this.#db.updateTable('images').set({ status: 'killed', updated_at: nowIso() }).where('id', '=', id).execute()
  }

  /** Deletes an image and its data, ignoring protection (internal clean-up). */
  async deleteImageInternal(id: string): Promise<void> {
    await removeImageRow(this.#db, id)
    await removeQuietly(this.imageFilePath(id))
  }

  /** `POST /v2/images`: a queued image owned by the caller's project (or `owner`, for admins). */
  async createImage(auth: AuthContext, body: Record<string, unknown>): Promise<ImageRecord> {
    authorize(auth, 'add_image', 'member')
    const parsed = parseImageCreate(body)
    const project = scopedProjectId(auth, 'add_image')
    if (!auth.isAdmin && parsed.owner !== undefined && parsed.owner !== project) {
      throw new Forbidden(`You are not permitted to create images owned by '${parsed.owner}'.`, ServiceErrorCode.IMAGE_OWNER)
    }
    if (parsed.visibility === 'public' && !auth.isAdmin) {
      throw new Forbidden('You are not authorized to complete publicize_image action.', ServiceErrorCode.POLICY_NOT_AUTHORIZED)
    }
    if (parsed.id !== undefined && (await loadImage(this.#db, parsed.id))) {
      throw new Conflict(`Image with identifier ${parsed.id} already exists!`, ServiceErrorCode.IMAGE_DUPLICATE)
    }
    const id = await insertImage(this.#db, { ...parsed, owner: parsed.owner ?? project, visibility: parsed.visibility ?? 'shared' })
    return (await loadImage(this.#db, id))!
  }

  /** `GET /v2/images`: one page of the images the caller may see. */
  async listImages(auth: AuthContext, query: RawQuery): Promise<{ images: ImageRecord[]; nextMarker?: string }> {
    authorize(auth, 'get_images', 'reader')
    return listImages(this.#db, auth, parseImageListQuery(query))
  }

  /** `PATCH /v2/images/{id}` in either JSON-patch dialect; all changes or none. */
  async updateImage(auth: AuthContext, id: string, contentType: string | undefined, body: unknown): Promise<ImageRecord> {
    const draftVersion = patchDraftOf(contentType)
    const changes = parseImagePatch(body, draftVersion)
    const image = await this.#mutable(auth, id, 'modify_image')
    const draft: ImageDraft = {
      core: {
        name: image.name, visibility: image.visibility, protected: image.protected, os_hidden: image.osHidden, owner: image.owner,
        container_format: image.containerFormat, disk_format: image.diskFormat, min_ram: image.minRam, min_disk: image.minDisk,
      },
      tags: [...image.tags],
      properties: { ...image.properties },
    }
    applyImageChanges(draft, changes, { isAdmin: auth.isAdmin, status: image.status })
    if (changes.length) await saveDraft(this.#db, id, draft)
    return (await loadImage(this.#db, id))!
  }

  /** `DELETE /v2/images/{id}`: 403 while protected; the data file goes too. */
  async deleteImage(auth: AuthContext, id: string): Promise<void> {
    const image = await this.#mutable(auth, id, 'delete_image')
    if (image.protected) throw new Forbidden(`Image ${id} is protected and cannot be deleted.`, ServiceErrorCode.IMAGE_PROTECTED)
    await this.deleteImageInternal(id)
  }

  /** `PUT /v2/images/{id}/file`: streams the data in (see receiveImageData). */
  async uploadImageData(auth: AuthContext, id: string, data: Readable): Promise<void> {
    const image = await this.#mutable(auth, id, 'upload_image')
    await receiveImageData(this.#db, this.#deps.config.dataDir, image, data, this.imageFilePath(id))
  }

  /** `GET /v2/images/{id}/file`: where the data is, or null when the image has none (204). */
  async openImageData(auth: AuthContext, id: string): Promise<ImageData | null> {
    const image = await this.getImage(auth, id)
    authorize(auth, 'download_image', 'member')
    if (image.status === 'deactivated' && !auth.isAdmin) {
      throw new Forbidden('The requested image has been deactivated. Image data download is forbidden.', ServiceErrorCode.IMAGE_DEACTIVATED)
    }
    if (!['active', 'deactivated'].includes(image.status)) return null
    const file = this.imageFilePath(id)
    if (!fs.existsSync(file)) return null
    return { path: file, size: image.size ?? fs.statSync(file).size, checksum: image.checksum }
  }

  /** `PUT /v2/images/{id}/tags/{tag}` (idempotent). */
  async addTag(auth: AuthContext, id: string, tag: string): Promise<void> {
    await this.#mutable(auth, id, 'modify_image')
    const exists = await this.#db.selectFrom('image_tags').select('value').where('image_id', '=', id).where('value', '=', tag).executeTakeFirst()
    if (!exists) await this.#db.insertInto('image_tags').values({ image_id: id, value: tag }).execute()
    await this.#db.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', id).execute()
  }

  /** `DELETE /v2/images/{id}/tags/{tag}`; 404 when the image has no such tag. */
  async removeTag(auth: AuthContext, id: string, tag: string): Promise<void> {
    await this.#mutable(auth, id, 'modify_image')
    const result = await this.#db.deleteFrom('image_tags').where('image_id', '=', id).where('value', '=', tag).executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) throw new NotFound(`Tag ${tag} not found`, ServiceErrorCode.IMAGE_TAG_NOT_FOUND)
    await this.#db.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', id).execute()
  }

  /** `POST …/actions/deactivate` and `…/reactivate` (Glance's domain rules: only between active and deactivated). */
  async setActivation(auth: AuthContext, id: string, action: 'deactivate' | 'reactivate'): Promise<void> {
    const image = await this.#mutable(auth, id, action)
    const [from, to] = action === 'deactivate' ? ['active', 'deactivated'] : ['deactivated', 'active']
    if (image.status === to) return
    if (image.status !== from || !(await moveStatus(this.#db, id, [from], to))) {
      throw new Forbidden(`Not allowed to ${action} image in status '${image.status}'`, ServiceErrorCode.IMAGE_BAD_TRANSITION)
    }
  }

  /** Image members (`/v2/images/{id}/members`): see image-members.ts for the rules. */
  async listMembers(auth: AuthContext, id: string) {
    return members.listMembers(this.#db, auth, await this.getImage(auth, id))
  }

  async getMember(auth: AuthContext, id: string, memberId: string) {
    return members.getMember(this.#db, auth, await this.getImage(auth, id), memberId)
  }

  async addMember(auth: AuthContext, id: string, memberId: string) {
    return members.addMember(this.#db, auth, await this.getImage(auth, id), memberId)
  }

  async updateMember(auth: AuthContext, id: string, memberId: string, status: string) {
    return members.updateMember(this.#db, auth, await this.getImage(auth, id), memberId, status)
  }

  async removeMember(auth: AuthContext, id: string, memberId: string): Promise<void> {
    await members.removeMember(this.#db, auth, await this.getImage(auth, id), memberId)
  }

  async #mutable(auth: AuthContext, id: string, rule: string): Promise<ImageRecord> {
    const image = await loadImage(this.#db, id)
    if (!image) throw new ImageNotFound(id)
    await assertMayChange(this.#db, auth, image, rule)
    return image
  }
}
