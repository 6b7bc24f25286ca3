import { createHash, randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** What streaming a file in measured. */
export interface DataDigest {
  size: number
  checksum: string
  osHashAlgo: 'sha512'
  osHashValue: string
}

/** Where image data lives: `<dataDir>/images/<id>`. */
export function imagesDir(dataDir: string): string {
  return path.join(dataDir, 'images')
}

/** A fresh temporary path beside the image files (same filesystem, so the final rename is atomic). */
export function partialPath(dataDir: string, id: string): string {
  return path.join(imagesDir(dataDir), `.${id}.${randomUUID()}.part`)
}

/** Streams `source` into `target`, hashing on the way (md5 for `checksum`, sha512 for `os_hash_value`). */
export async function writeHashed(source: Readable | AsyncIterable<Buffer>, target: string): Promise<DataDigest> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true })
  const md5 = createHash('md5')
  const sha512 = createHash('sha512')
  let size = 0
  await pipeline(
    source,
    async function* hash(chunks: AsyncIterable<Buffer | string>) {
      for await (const chunk of chunks) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
        md5.update(bytes)
        sha512.update(bytes)
        size += bytes.length
        yield bytes
      }
    },
    fs.createWriteStream(target, { mode: 0o600 }),
  )
  return { size, checksum: md5.digest('hex'), osHashAlgo: 'sha512', osHashValue: sha512.digest('hex') }
}

/** Removes a file if it is there. */
export async function removeQuietly(file: string): Promise<void> {
  await fs.promises.rm(file, { force: true })
}

/** Moves a file in; copies (then removes the source) across filesystems. */
export async function moveFile(source: string, target: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true })
  try {
    await fs.promises.rename(source, target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
    await fs.promises.copyFile(source, target)
    await fs.promises.rm(source, { force: true })
  }
}

/** Hashes a file already on disk, as `writeHashed` would have. */
export async function hashFile(file: string): Promise<DataDigest> {
  const md5 = createHash('md5')
  const sha512 = createHash('sha512')
  let size = 0
  for await (const chunk of fs.createReadStream(file)) {
    const bytes = chunk as Buffer
    md5.update(bytes)
    sha512.update(bytes)
    size += bytes.length
  }
  return { size, checksum: md5.digest('hex'), osHashAlgo: 'sha512', osHashValue: sha512.digest('hex') }
}
