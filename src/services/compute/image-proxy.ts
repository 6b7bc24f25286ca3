import type { AuthContext } from '../identity/auth-context.js'
import type { ImageRecord, ImageService } from '../image/image-service.js'
import { Forbidden, NotFound, onNotFound } from '../errors.js'
import { DEFAULT_QUOTAS } from './compute-quotas.js'
import { ServiceErrorCode } from '../error-codes.js'

/** Nova's image proxy filters (images.py SUPPORTED_FILTERS), as given in the query. */
export interface ImageProxyQuery {
  name?: string
  status?: string
  changesSince?: string
  server?: string
  type?: string
  minRam?: number
  minDisk?: number
  /** `property-<key>=value` filters. */
  properties: Record<string, string>
  limit?: number
  marker?: string
}

const JSON_PATCH = 'application/openstack-images-v2.1-json-patch'
const pointer = (key: string) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`

async function visibleImage(images: ImageService, auth: AuthContext, id: string): Promise<ImageRecord> {
  return images.getImage(auth, id).catch(onNotFound(() => new NotFound('Image not found.', ServiceErrorCode.IMAGE_NOT_FOUND)))
}

/**
 * Nova's image proxy over the image service (`GET /images[/detail]`, `/images/{id}`,
 * image metadata): same visibility as Glance, Nova's filters and messages.
 */
export class ImageProxy {
  readonly #images: ImageService

  constructor(images: ImageService) {
    this.#images = images
  }

  /** Images the caller sees, filtered as Nova's proxy does. */
  async listImages(auth: AuthContext, query: ImageProxyQuery): Promise<ImageRecord[]> {
    const glanceQuery: Record<string, string> = {}
    if (query.name !== undefined) glanceQuery.name = query.name
    if (query.status !== undefined) glanceQuery.status = query.status.toLowerCase()
    if (query.server !== undefined) glanceQuery.instance_uuid = query.server.split('/').at(-1)!
    if (query.type !== undefined) glanceQuery.image_type = query.type
    for (const [key, value] of Object.entries(query.properties)) glanceQuery[key] = value
    if (query.marker !== undefined) glanceQuery.marker = query.marker
    const filtered = query.minRam !== undefined || query.minDisk !== undefined || query.changesSince !== undefined
    if (query.limit !== undefined && !filtered) glanceQuery.limit = String(query.limit)
    const since = query.changesSince !== undefined ? Date.parse(query.changesSince) : undefined
    const result: ImageRecord[] = []
    let page = await this.#images.listImages(auth, glanceQuery)
    for (;;) {
      for (const image of page.images) {
        if (query.minRam !== undefined && image.minRam < query.minRam) continue
        if (query.minDisk !== undefined && image.minDisk < query.minDisk) continue
        if (since !== undefined && !Number.isNaN(since) && Date.parse(image.updatedAt) < since) continue
        result.push(image)
      }
      if (!page.nextMarker || (query.limit !== undefined && result.length >= query.limit)) break
      page = await this.#images.listImages(auth, { ...glanceQuery, marker: page.nextMarker })
    }
    return query.limit !== undefined ? result.slice(0, query.limit) : result
  }

  /** One image, 404 "Image not found." when the caller cannot see it. */
  getImage(auth: AuthContext, id: string): Promise<ImageRecord> {
    return visibleImage(this.#images, auth, id)
  }

  /** Deletes an image through the image service's rules (403 when not allowed). */
  async deleteImage(auth: AuthContext, id: string): Promise<void> {
    await visibleImage(this.#images, auth, id)
    await this.#images.deleteImage(auth, id)
  }

  /** Sets (merging) or replaces the image's custom properties; 403 past `metadata_items`. */
  async setMetadata(auth: AuthContext, id: string, metadata: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    const image = await visibleImage(this.#images, auth, id)
    const next = replace ? { ...metadata } : { ...image.properties, ...metadata }
    if (Object.keys(next).length > DEFAULT_QUOTAS.metadata_items) throw new Forbidden('Image metadata limit exceeded', ServiceErrorCode.IMAGE_METADATA_LIMIT)
    const ops: Array<Record<string, unknown>> = []
    if (replace) for (const key of Object.keys(image.properties)) if (!(key in metadata)) ops.push({ op: 'remove', path: pointer(key) })
    for (const [key, value] of Object.entries(metadata)) ops.push({ op: key in image.properties ? 'replace' : 'add', path: pointer(key), value })
    const updated = await this.#images.updateImage(auth, id, JSON_PATCH, ops)
    return updated.properties
  }

  /** Removes one custom property; 404 "Invalid metadata key" when absent. */
  async deleteMetadataItem(auth: AuthContext, id: string, key: string): Promise<void> {
    const image = await visibleImage(this.#images, auth, id)
    if (!Object.hasOwn(image.properties, key)) throw new NotFound('Invalid metadata key', ServiceErrorCode.IMAGE_METADATA_NOT_FOUND)
    await this.#images.updateImage(auth, id, JSON_PATCH, [{ op: 'remove', path: pointer(key) }])
  }
}
