import type { Readable } from 'node:stream'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { Conflict, InvalidRequest, LifeboatError } from '../errors.js'
import { checkDiskData } from './disk-inspector.js'
import { moveFile, partialPath, removeQuietly, writeHashed } from './image-data.js'
import { moveStatus } from './image-store.js'
import type { ImageRecord } from './image-records.js'
import { ServiceErrorCode } from '../error-codes.js'

/** 410: the image was deleted while its data was arriving (Glance's `HTTPGone`). */
export class ImageGoneDuringUpload extends LifeboatError {
  constructor(id: string) {
    super(`Image ${id} could not be found after upload. The image may have been deleted during the upload.`, ServiceErrorCode.IMAGE_GONE, 410)
  }
}

/** Glance's status machine refuses `saving` from anything but `queued` (409). */
function assertQueued(image: ImageRecord): void {
  if (image.status !== 'queued') {
    throw new Conflict(`Image status transition from ${image.status} to saving is not allowed`, ServiceErrorCode.IMAGE_BAD_TRANSITION)
  }
  const missing = (['disk_format', 'container_format'] as const).filter((k) => (k === 'disk_format' ? image.diskFormat : image.containerFormat) === null)
  if (missing.length === 1) throw new InvalidRequest(`Property ${missing[0]} must be set prior to saving data.`, ServiceErrorCode.IMAGE_FORMAT_MISSING)
  if (missing.length > 1) throw new InvalidRequest(`Properties ${missing.join(', ')} must be set prior to saving data.`, ServiceErrorCode.IMAGE_FORMAT_MISSING)
}

/**
 * Receives an image's data: queued → saving, the stream written to a
 * temporary file while hashing, the data checked against `disk_format`
 * (`qemu-img info`), then moved to `finalPath` and the image made active.
 * Any failure puts the image back to queued and keeps no data.
 */
export async function receiveImageData(db: Kysely<Database>, dataDir: string, image: ImageRecord, data: Readable, finalPath: string): Promise<void> {
  assertQueued(image)
  if (!(await moveStatus(db, image.id, ['queued'], 'saving'))) {
    const now = await db.selectFrom('images').select('status').where('id', '=', image.id).executeTakeFirst()
    if (!now) throw new ImageGoneDuringUpload(image.id)
    throw new Conflict(`Image status transition from ${now.status} to saving is not allowed`, ServiceErrorCode.IMAGE_BAD_TRANSITION)
  }
  const partial = partialPath(dataDir, image.id)
  try {
    // Only the client's stream failing is the client's fault (400); a disk or
    // database error after it is the server's, and goes through as it is.
    const digest = await writeHashed(data, partial).catch((error: unknown) => {
      if (error instanceof LifeboatError) throw error
      throw new InvalidRequest('The image data could not be received.', ServiceErrorCode.IMAGE_UPLOAD_FAILED, { cause: error })
    })
    const virtualSize = await checkDiskData(partial, image.diskFormat, digest.size)
    await moveFile(partial, finalPath)
    const done = await moveStatus(db, image.id, ['saving'], 'active', {
      size: digest.size, virtual_size: virtualSize, checksum: digest.checksum, os_hash_algo: digest.osHashAlgo, os_hash_value: digest.osHashValue,
    })
    if (!done) {
      await removeQuietly(finalPath)
      throw new ImageGoneDuringUpload(image.id)
    }
  } catch (error) {
    await removeQuietly(partial)
    await moveStatus(db, image.id, ['saving'], 'queued', { size: null, virtual_size: null, checksum: null, os_hash_algo: null, os_hash_value: null })
    throw error
  }
}
