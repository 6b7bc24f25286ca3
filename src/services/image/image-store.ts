import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, Db } from '../../db/schema.js'
import type { ImagesTable } from '../../db/tables/image-tables.js'
import { nowIso } from '../time.js'
import type { ImageDraft } from './image-patch.js'

/** The columns of a new image; the rest get Glance's defaults. */
export interface ImageInsert {
  id?: string
  name: string | null
  owner: string
  visibility: string
  diskFormat: string | null
  containerFormat: string | null
  minDisk: number
  minRam: number
  protected: boolean
  osHidden: boolean
  properties: Record<string, string>
  tags: string[]
}

async function writeProperties(db: Db, imageId: string, properties: Record<string, string>): Promise<void> {
  const rows = Object.entries(properties).map(([name, value]) => ({ image_id: imageId, name, value }))
  if (rows.length) await db.insertInto('image_properties').values(rows).execute()
}

async function writeTags(db: Db, imageId: string, tags: string[]): Promise<void> {
  const rows = [...new Set(tags)].map((value) => ({ image_id: imageId, value }))
  if (rows.length) await db.insertInto('image_tags').values(rows).execute()
}

/** Inserts a queued image with its properties and tags in one transaction; returns its id. */
export async function insertImage(db: Kysely<Database>, input: ImageInsert): Promise<string> {
  const id = input.id ?? randomUUID()
  const now = nowIso()
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('images').values({
      id, name: input.name, status: 'queued', visibility: input.visibility, owner: input.owner,
      disk_format: input.diskFormat, container_format: input.containerFormat, size: null, virtual_size: null,
      min_disk: input.minDisk, min_ram: input.minRam, protected: input.protected ? 1 : 0, os_hidden: input.osHidden ? 1 : 0,
      checksum: null, os_hash_algo: null, os_hash_value: null, created_at: now, updated_at: now,
    }).execute()
    await writeProperties(tx, id, input.properties)
    await writeTags(tx, id, input.tags)
  })
  return id
}

const CORE_COLUMNS: Record<string, (v: unknown) => Partial<ImagesTable>> = {
  name: (v) => ({ name: v as string | null }),
  visibility: (v) => ({ visibility: v as string }),
  protected: (v) => ({ protected: v ? 1 : 0 }),
  os_hidden: (v) => ({ os_hidden: v ? 1 : 0 }),
  owner: (v) => ({ owner: (v as string | null) ?? '' }),
  container_format: (v) => ({ container_format: v as string | null }),
  disk_format: (v) => ({ disk_format: v as string | null }),
  min_ram: (v) => ({ min_ram: v as number }),
  min_disk: (v) => ({ min_disk: v as number }),
}

/** Saves a patched draft: core columns, properties and tags replaced in one transaction. */
export async function saveDraft(db: Kysely<Database>, id: string, draft: ImageDraft): Promise<void> {
  const update: Partial<ImagesTable> = { updated_at: nowIso() }
  for (const [key, value] of Object.entries(draft.core)) Object.assign(update, CORE_COLUMNS[key]?.(value) ?? {})
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('images').set(update).where('id', '=', id).execute()
    await tx.deleteFrom('image_properties').where('image_id', '=', id).execute()
    await writeProperties(tx, id, draft.properties)
    await tx.deleteFrom('image_tags').where('image_id', '=', id).execute()
    await writeTags(tx, id, draft.tags)
  })
}

/**
 * Compare-and-set of the status: true when the image was in one of `from`.
 * `extra` columns change in the same statement.
 */
export async function moveStatus(db: Db, id: string, from: string[], to: string, extra: Partial<ImagesTable> = {}): Promise<boolean> {
  const result = await db.updateTable('images').set({ ...extra, status: to, updated_at: nowIso() })
    .where('id', '=', id).where('status', 'in', from).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Deletes an image row (properties, tags and members go with it). */
export async function removeImageRow(db: Kysely<Database>, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('image_members').where('image_id', '=', id).execute()
    await tx.deleteFrom('image_tags').where('image_id', '=', id).execute()
    await tx.deleteFrom('image_properties').where('image_id', '=', id).execute()
    await tx.deleteFrom('images').where('id', '=', id).execute()
  })
}
