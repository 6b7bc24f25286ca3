import fs from 'node:fs'
import path from 'node:path'
import type { Db } from '../../db/schema.js'
import type { Logger } from 'pino'
import { imagesDir } from './image-data.js'
import { moveStatus } from './image-store.js'

/**
 * An upload runs inside its request: a process killed -9 mid-upload leaves
 * the image `saving` and a partial file. Run once at start, before serving
 * (no upload of this process can be in flight): every `saving` image goes
 * back to `queued` with no data, as Glance does when an upload fails, so the
 * user can upload again; every partial file is removed. Returns the ids.
 */
export async function recoverInterruptedUploads(db: Db, log: Logger, dataDir: string): Promise<string[]> {
  const saving = await db.selectFrom('images').select('id').where('status', '=', 'saving').execute()
  const recovered: string[] = []
  for (const { id } of saving) {
    const moved = await moveStatus(db, id, ['saving'], 'queued', { size: null, virtual_size: null, checksum: null, os_hash_algo: null, os_hash_value: null })
    if (!moved) continue
    log.warn({ image: id, from: 'saving', to: 'queued' }, `image ${id} was receiving its data when the process stopped (restart): status queued, upload it again`)
    recovered.push(id)
  }
  const dir = imagesDir(dataDir)
  const leftovers = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.startsWith('.') && name.endsWith('.part')) : []
  for (const name of leftovers) await fs.promises.rm(path.join(dir, name), { force: true })
  return recovered
}
