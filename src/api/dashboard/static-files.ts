import fs from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'

/** One built file of a page, read once and kept with its gzip form. */
export interface StaticFile {
  readonly contentType: string
  readonly body: Buffer
  readonly gzip: Buffer
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
}

/** Names esbuild writes into a page folder: one level, no dot files, no path tricks. */
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/

/**
 * The files of one built page folder (dist/web/<page>), served from memory.
 * Only names that exist in the folder at first use are served, so a request
 * can never name anything outside it; a folder built later is picked up by
 * the next process (dist/ is rebuilt before a start, never under a running one).
 */
export class StaticFolder {
  private files: Map<string, StaticFile> | null = null

  constructor(private readonly dir: string) {}

  /** True when the page has been built (its index.html exists). */
  built(): boolean {
    return this.load().has('index.html')
  }

  /** The file called `name`, or null when the folder holds none by that name. */
  get(name: string): StaticFile | null {
    if (!FILE_NAME.test(name)) return null
    return this.load().get(name) ?? null
  }

  private load(): Map<string, StaticFile> {
    if (this.files && this.files.size > 0) return this.files
    const files = new Map<string, StaticFile>()
    const entries = fs.existsSync(this.dir) ? fs.readdirSync(this.dir, { withFileTypes: true }) : []
    for (const entry of entries) {
      const type = CONTENT_TYPES[path.extname(entry.name)]
      if (!entry.isFile() || !type || !FILE_NAME.test(entry.name)) continue
      const body = fs.readFileSync(path.join(this.dir, entry.name))
      files.set(entry.name, { contentType: type, body, gzip: gzipSync(body, { level: 9 }) })
    }
    this.files = files
    return files
  }
}
