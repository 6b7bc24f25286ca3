import fs from 'node:fs'
import path from 'node:path'
import type { AgentApiClient } from './agent-api-client.js'
import type { AgentImageInfo } from '../agent-api/index.js'

/**
 * Finds an image's data on this host: the control plane's own file when the
 * filesystem is shared (all-in-one), else a cached download.
 */
export class ImageFiles {
  readonly #api: AgentApiClient
  readonly #cacheDir: string

  constructor(api: AgentApiClient, cacheDir: string) {
    this.#api = api
    this.#cacheDir = cacheDir
  }

  /** A local path with the image's data. */
  async localPath(image: AgentImageInfo): Promise<string> {
    if (image.path && fs.existsSync(image.path)) return image.path
    const cached = path.join(this.#cacheDir, `${image.id}-${image.checksum ?? 'nochecksum'}`)
    if (fs.existsSync(cached)) return cached
    fs.mkdirSync(this.#cacheDir, { recursive: true })
    const partial = `${cached}.part`
    await this.#api.downloadImage(image.id, partial)
    fs.renameSync(partial, cached)
    return cached
  }
}
