import type { ImageRecord } from '../../services/image/image-service.js'
import type { ImageMemberRow } from '../../services/image/image-members.js'
import { novaTime } from '../../services/time.js'

/** Glance's image view (`ResponseSerializer._format_image`): custom properties flat beside the core attributes. */
export function imageView(image: ImageRecord): Record<string, unknown> {
  return {
    ...image.properties,
    name: image.name,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    visibility: image.visibility,
    size: image.size,
    virtual_size: image.virtualSize,
    status: image.status,
    checksum: image.checksum,
    protected: image.protected,
    min_ram: image.minRam,
    min_disk: image.minDisk,
    owner: image.owner,
    os_hidden: image.osHidden,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    id: image.id,
    created_at: novaTime(image.createdAt),
    updated_at: novaTime(image.updatedAt),
    tags: image.tags,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  }
}

function encodeQuery(query: Record<string, string | string[] | undefined>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) params.append(key, v)
  }
  return params.toString()
}

/** Glance's list body: `images`, `first`, `schema`, and `next` when there may be more. */
export function imageListView(images: ImageRecord[], query: Record<string, string | string[] | undefined>, nextMarker?: string) {
  const rest = { ...query }
  delete rest.marker
  const encoded = encodeQuery(rest)
  const body: { images: Array<Record<string, unknown>>; first: string; schema: string; next?: string } = {
    images: images.map(imageView),
    first: encoded ? `/v2/images?${encoded}` : '/v2/images',
    schema: '/v2/schemas/images',
  }
  if (nextMarker !== undefined) body.next = `/v2/images?${encodeQuery({ ...rest, marker: nextMarker })}`
  return body
}

/** Glance's member view. */
export function memberView(row: ImageMemberRow) {
  return {
    member_id: row.member,
    image_id: row.image_id,
    status: row.status,
    created_at: novaTime(row.created_at),
    updated_at: novaTime(row.updated_at),
    schema: '/v2/schemas/member',
  }
}
