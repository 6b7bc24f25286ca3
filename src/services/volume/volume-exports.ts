import { createHmac, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Db } from '../../db/schema.js'
import type { VolumesTable } from '../../db/tables/volume-tables.js'
import { nbdUrl, type NbdTarget } from '../../util/nbd-url.js'

/** What serves volume files over NBD (the supervised `qemu-storage-daemon`, wired in by `server.ts`). */
export interface ExportServer {
  /** Serves a file as export `name` (again: nothing changes). */
  export(name: string, file: { path: string; format: 'raw' | 'qcow2' }): Promise<void>
  /** Stops serving export `name`; an unknown one is not an error. */
  unexport(name: string): Promise<void>
}

/** Where the NBD server is reached, and the secret its export names are derived from. */
export interface NbdExportsOptions {
  /** The host agents dial (the listen address, or the public host when listening on every address). */
  host: string
  port: number
  /** The key export names are derived from (`exportSecret`). */
  secret: Buffer
}

/**
 * The volume service's NBD transport: each volume that has attachments is
 * exported under a name nobody can guess (an HMAC of its id under a secret
 * kept in the data folder: stable across restarts, so the connection info
 * stored with attachments stays valid), and the connection info is Cinder's
 * network-disk shape (`driver_volume_type` `nbd`; `name`, `hosts`, `ports`,
 * as Nova's `LibvirtNetVolumeDriver` reads them).
 */
export class NbdVolumeExports {
  readonly #server: ExportServer
  readonly #options: NbdExportsOptions

  constructor(server: ExportServer, options: NbdExportsOptions) {
    this.#server = server
    this.#options = options
  }

  /** The export of a volume (known before it is exported). */
  target(volumeId: string): NbdTarget {
    const digest = createHmac('sha256', this.#options.secret).update(volumeId).digest('hex').slice(0, 32)
    return { host: this.#options.host, port: this.#options.port, export: `volume-${volumeId}-${digest}` }
  }

  /** The driver's `data` of Cinder's connection info for the volume. */
  connectionData(volume: VolumesTable): Record<string, unknown> {
    const target = this.target(volume.id)
    return { name: target.export, hosts: [target.host], ports: [String(target.port)], volume_id: volume.id, access_mode: 'rw', auth_enabled: false }
  }

  /** Exports the volume (if it is not yet) and answers the `nbd://` URL a hypervisor opens it at. */
  async ensure(volume: Pick<VolumesTable, 'id' | 'backing_path' | 'backing_format'>): Promise<string> {
    const target = this.target(volume.id)
    await this.#server.export(target.export, { path: volume.backing_path!, format: volume.backing_format === 'raw' ? 'raw' : 'qcow2' })
    return nbdUrl(target)
  }

  /** Stops exporting a volume. */
  async remove(volumeId: string): Promise<void> {
    await this.#server.unexport(this.target(volumeId).export)
  }

  /**
   * Exports exactly the volumes that have attachments: at start (the
   * daemon's exports are gone with the previous process), and after a
   * detach. Returns the ids exported.
   */
  async reconcile(db: Db, detached: string[] = []): Promise<string[]> {
    const rows = await db.selectFrom('volumes').innerJoin('volume_attachments', 'volume_attachments.volume_id', 'volumes.id')
      .select(['volumes.id', 'volumes.backing_path', 'volumes.backing_format']).distinct().execute()
    const attached = new Set(rows.map((r) => r.id))
    for (const id of detached) if (!attached.has(id)) await this.remove(id)
    for (const row of rows) if (row.backing_path) await this.ensure(row)
    return [...attached]
  }
}

/** The export-name secret under the data folder, made on first use (0600). */
export function exportSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, 'nbd-export.key')
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex')
  } catch {
    fs.mkdirSync(dataDir, { recursive: true })
    const secret = randomBytes(32)
    fs.writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
    return secret
  }
}

/** After an attachment is gone: a volume left with none stops being exported (its file may be resized, copied or deleted). */
export async function releaseExport(db: Db, exports: NbdVolumeExports | null | undefined, volumeId: string): Promise<void> {
  if (!exports) return
  const left = await db.selectFrom('volume_attachments').select('id').where('volume_id', '=', volumeId).executeTakeFirst()
  if (!left) await exports.remove(volumeId)
}
