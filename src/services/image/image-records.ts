import type { Kysely, Selectable } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { ImagesTable } from '../../db/tables/image-tables.js'

/** An image as the other services see it (Glance's view, minus HTTP). */
export interface ImageRecord {
  id: string
  name: string | null
  status: 'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'pending_delete' | 'importing' | 'uploading' | 'deactivated'
  visibility: 'public' | 'private' | 'shared' | 'community'
  owner: string
  diskFormat: string | null
  containerFormat: string | null
  size: number | null
  virtualSize: number | null
  minDisk: number
  minRam: number
  protected: boolean
  /** Glance's `os_hidden`: left out of default image lists. */
  osHidden: boolean
  checksum: string | null
  osHashAlgo: string | null
  osHashValue: string | null
  /** Custom properties (`hw_rescue_device`, `block_device_mapping`, …), all as Glance stores them. */
  properties: Record<string, string>
  tags: string[]
  createdAt: string
  updatedAt: string
}

/** An `images` row as read. */
export type ImageRow = Selectable<ImagesTable>

/** Glance's `[image_format] disk_formats` default. */
export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const

/** Glance's `[image_format] container_formats` default. */
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const

export const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const
export type Visibility = (typeof VISIBILITIES)[number]

/** Glance's `_readonly_properties`: never set by a client (403). */
export const READONLY_ATTRIBUTES = [
  'created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size', 'direct_url', 'self', 'file', 'schema', 'id',
  'os_hash_algo', 'os_hash_value',
]

/** Glance's `_reserved_properties` and the `os_glance` namespace (403). */
export const RESERVED_ATTRIBUTES = ['location', 'deleted', 'deleted_at']
export const RESERVED_NAMESPACE = 'os_glance'

/** Core attributes a client may write; everything else is a custom property. */
export const WRITABLE_CORE = ['name', 'visibility', 'protected', 'os_hidden', 'owner', 'container_format', 'disk_format', 'min_ram', 'min_disk', 'tags'] as const

/** Every attribute of Glance's image schema that is not a custom property. */
export const BASE_ATTRIBUTES = new Set<string>([...READONLY_ATTRIBUTES, ...WRITABLE_CORE, 'locations', 'stores'])

/** The error text Glance gives for an image the caller can't see. */
export function noImageMessage(id: string): string {
  return `No image found with ID ${id}`
}

/** Turns rows into records, loading their properties and tags in two queries. */
export async function toRecords(db: Kysely<Database>, rows: ImageRow[]): Promise<ImageRecord[]> {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const props = await db.selectFrom('image_properties').selectAll().where('image_id', 'in', ids).orderBy('name').execute()
  const tags = await db.selectFrom('image_tags').selectAll().where('image_id', 'in', ids).orderBy('value').execute()
  const propsById = new Map<string, Record<string, string>>()
  for (const p of props) {
    const bag = propsById.get(p.image_id) ?? {}
    bag[p.name] = p.value
    propsById.set(p.image_id, bag)
  }
  const tagsById = new Map<string, string[]>()
  for (const t of tags) tagsById.set(t.image_id, [...(tagsById.get(t.image_id) ?? []), t.value])
  return rows.map((row) => rowToRecord(row, propsById.get(row.id) ?? {}, tagsById.get(row.id) ?? []))
}

/** One row and its properties and tags as an ImageRecord. */
export function rowToRecord(row: ImageRow, properties: Record<string, string>, tags: string[]): ImageRecord {
  return {
    id: row.id,
    name: row.name,
    status: row.status as ImageRecord['status'],
    visibility: row.visibility as Visibility,
    owner: row.owner,
    diskFormat: row.disk_format,
    containerFormat: row.container_format,
    size: row.size === null ? null : Number(row.size),
    virtualSize: row.virtual_size === null ? null : Number(row.virtual_size),
    minDisk: row.min_disk,
    minRam: row.min_ram,
    protected: row.protected === 1,
    osHidden: row.os_hidden === 1,
    checksum: row.checksum,
    osHashAlgo: row.os_hash_algo,
    osHashValue: row.os_hash_value,
    properties,
    tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Loads one image by id, with no visibility check; null when absent. */
export async function loadImage(db: Kysely<Database>, id: string): Promise<ImageRecord | null> {
  const row = await db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) return null
  const [record] = await toRecords(db, [row])
  return record ?? null
}
