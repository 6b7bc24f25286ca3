import { execFile } from 'node:child_process'
import { UtilErrorCode, type ErrorCode } from './error-code.js'

// The one place that runs `qemu-img`. It lives in src/util/ (pure helpers that
// import nothing of the app) because both the volume and image services and
// the QEMU driver need it, and src/virt must not import from src/services: a
// leaf both layers may import. Each caller keeps its own error for its layer.

/** A failed `qemu-img` run; the message carries qemu-img's own stderr for the log, never for clients. */
export class QemuImgError extends Error {
  /** The arguments qemu-img was run with. */
  readonly args: readonly string[]
  /** What qemu-img wrote on stderr ('' when it did not start). */
  readonly stderr: string
  /** True when there is no `qemu-img` to run (not installed). */
  readonly notInstalled: boolean
  /** `LB_QEMU_IMG_MISSING` when not installed, else `LB_QEMU_IMG_FAILED`. */
  readonly code: ErrorCode

  constructor(args: readonly string[], stderr: string, options: { cause: unknown }) {
    super(`qemu-img ${args[0]} failed: ${stderr.trim()}`, options)
    this.name = 'QemuImgError'
    this.args = args
    this.stderr = stderr
    this.notInstalled = (options.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
    this.code = this.notInstalled ? UtilErrorCode.QEMU_IMG_MISSING : UtilErrorCode.QEMU_IMG_FAILED
  }
}

/** What `qemu-img info --output=json` tells about one file. */
export interface QemuImgInfo {
  /** qemu-img's name for the format (`vpc` for Glance's `vhd`). */
  format: string
  virtualSize: number
  actualSize: number | null
  backingFile: string | null
  /** A qcow2 external data file, if any. */
  dataFile: string | null
}

// Glance disk formats to qemu-img format names; anything else is probed.
const FORMAT_NAMES: Record<string, string> = {
  raw: 'raw', qcow2: 'qcow2', vmdk: 'vmdk', vdi: 'vdi', vhd: 'vpc', vhdx: 'vhdx',
}

/** The qemu-img `-f` name of a Glance disk format, or null to let qemu-img probe. */
export function qemuFormatName(diskFormat: string | null): string | null {
  return diskFormat ? FORMAT_NAMES[diskFormat] ?? null : null
}

/**
 * Runs `qemu-img` with arguments (never a shell, never blocking the event
 * loop) and resolves with its stdout; rejects with a QemuImgError carrying its
 * stderr. `timeoutMs` defaults to 30 minutes (a copy of a large image).
 */
export function qemuImg(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('qemu-img', args, { timeout: options.timeoutMs ?? 30 * 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new QemuImgError(args, stderr ?? '', { cause: error }))
      else resolve(stdout)
    })
  })
}

/**
 * `qemu-img info` of a file. `format` pins the format instead of probing;
 * `shared` (`-U`) reads an image a running QEMU holds open.
 */
export async function qemuImgInfo(file: string, options: { format?: string | null; shared?: boolean; timeoutMs?: number } = {}): Promise<QemuImgInfo> {
  const args = ['info', ...(options.shared ? ['-U'] : []), '--output=json', ...(options.format ? ['-f', options.format] : []), file]
  const info = JSON.parse(await qemuImg(args, { timeoutMs: options.timeoutMs })) as Record<string, unknown>
  return {
    format: String(info.format ?? 'unknown'),
    virtualSize: Number(info['virtual-size'] ?? 0),
    actualSize: typeof info['actual-size'] === 'number' ? info['actual-size'] : null,
    backingFile: typeof info['backing-filename'] === 'string' ? info['backing-filename'] : null,
    dataFile: (info['format-specific'] as { data?: { 'data-file'?: string } } | undefined)?.data?.['data-file'] ?? null,
  }
}
