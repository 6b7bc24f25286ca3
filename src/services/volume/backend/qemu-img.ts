import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** A failed `qemu-img` run; the message carries qemu-img's own stderr for the log, never for clients. */
export class QemuImgError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'QemuImgError'
  }
}

/** What `qemu-img info --output=json` tells about one file. */
export interface QemuImgInfo {
  format: string
  virtualSize: number
  actualSize: number | null
}

// Glance disk formats to qemu-img format names; anything else is probed.
const FORMAT_NAMES: Record<string, string> = {
  raw: 'raw', qcow2: 'qcow2', vmdk: 'vmdk', vdi: 'vdi', vhd: 'vpc', vhdx: 'vhdx',
}

/** The qemu-img `-f` name of a Glance disk format, or null to let qemu-img probe. */
export function qemuFormatName(diskFormat: string | null): string | null {
  return diskFormat ? FORMAT_NAMES[diskFormat] ?? null : null
}

/** Runs `qemu-img` with arguments (never a shell); throws QemuImgError with its stderr. */
export async function qemuImg(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('qemu-img', args, { timeout: 30 * 60 * 1000, maxBuffer: 4 * 1024 * 1024 })
    return stdout
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error)
    throw new QemuImgError(`qemu-img ${args[0]} failed: ${stderr.trim()}`, { cause: error })
  }
}

/** `qemu-img info` of a file; `format` pins the format instead of probing. */
export async function qemuImgInfo(path: string, format?: string | null, shared = false): Promise<QemuImgInfo> {
  const args = ['info', '--output=json', ...(shared ? ['-U'] : []), ...(format ? ['-f', format] : []), path]
  const info = JSON.parse(await qemuImg(args)) as { format: string; 'virtual-size': number; 'actual-size'?: number }
  return { format: info.format, virtualSize: info['virtual-size'], actualSize: info['actual-size'] ?? null }
}
