import fs from 'node:fs'
import path from 'node:path'
import type { DiskFormat } from '../virt-driver.js'
import { qemuImg, QemuImgError, qemuImgInfo } from '../../util/qemu-img.js'
import { isNbdUrl } from '../../util/nbd-url.js'
import { commandFailed } from './run-command.js'

const GIB = 1024 ** 3

/** Formats qemu-img understands for a backing file; anything else (an ISO) is raw bytes. */
export function backingFormat(format: string): DiskFormat {
  return format === 'qcow2' ? 'qcow2' : 'raw'
}

// runCommand's default timeout, for the quick qemu-img commands.
const QUICK_MS = 120_000

/** A qemu-img failure as the DriverError every other command of this driver throws. */
async function asDriverError<T>(run: Promise<T>): Promise<T> {
  try {
    return await run
  } catch (error) {
    throw error instanceof QemuImgError ? commandFailed('qemu-img', error.args, error.stderr, error.cause as Error) : error
  }
}

/** `qemu-img info`: the virtual size of an image in bytes. */
export async function virtualSize(file: string, format: DiskFormat): Promise<number> {
  return (await asDriverError(qemuImgInfo(file, { format, shared: true, timeoutMs: QUICK_MS }))).virtualSize
}

/**
 * A qcow2 overlay of `backing` (absolute path and explicit format: qemu-img
 * stores the path as given and refuses to probe), at least `sizeBytes` big.
 */
export async function createOverlay(target: string, backing: string, format: DiskFormat, sizeBytes = 0): Promise<void> {
  const backingSize = sizeBytes > 0 ? await virtualSize(backing, format) : 0
  const args = ['create', '-q', '-f', 'qcow2', '-F', format, '-b', isNbdUrl(backing) ? backing : path.resolve(backing), target]
  if (sizeBytes > backingSize) args.push(String(sizeBytes))
  await asDriverError(qemuImg(args, { timeoutMs: QUICK_MS }))
}

/** A new empty qcow2 disk of `sizeGb` (at least 1 MiB). */
export async function createBlank(target: string, sizeGb: number): Promise<void> {
  await asDriverError(qemuImg(['create', '-q', '-f', 'qcow2', target, String(Math.max(1024 * 1024, Math.round(sizeGb * GIB)))], { timeoutMs: QUICK_MS }))
}

/** Grows a qcow2 disk to `sizeBytes`; never shrinks (a smaller size leaves it as it is). */
export async function growDisk(file: string, sizeBytes: number): Promise<void> {
  if (sizeBytes <= (await virtualSize(file, 'qcow2'))) return
  await asDriverError(qemuImg(['resize', '-q', '-f', 'qcow2', file, String(sizeBytes)], { timeoutMs: QUICK_MS }))
}

/** Copies an image (flattening any backing chain) into `format`; `shared` reads an image a running QEMU holds. */
export async function convertImage(source: string, sourceFormat: DiskFormat, target: string, format: DiskFormat, shared: boolean): Promise<void> {
  await asDriverError(qemuImg(['convert', ...(shared ? ['-U'] : []), '-f', sourceFormat, '-O', format, source, target], { timeoutMs: 30 * 60_000 }))
}

/** Writes an overlay's changes into its backing file. */
export async function commitOverlay(overlay: string): Promise<void> {
  await asDriverError(qemuImg(['commit', '-q', '-f', 'qcow2', overlay], { timeoutMs: 30 * 60_000 }))
}

/**
 * Base images cached by image id under one folder. A base is a hard link to
 * (or, across filesystems, a copy of) the image's file, so it stays valid if
 * the image service deletes or replaces its file; overlays point at bases,
 * which are never written.
 */
export class ImageCache {
  readonly #dir: string

  constructor(dir: string) {
    this.#dir = path.resolve(dir)
  }

  /** The cached base for an image, created from `sourcePath` on first use. */
  async base(imageId: string, sourcePath: string, format: string): Promise<string> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(imageId)) throw new Error(`bad image id ${imageId}`)
    const target = path.join(this.#dir, `${imageId}.${backingFormat(format)}`)
    if (fs.existsSync(target)) return target
    fs.mkdirSync(this.#dir, { recursive: true })
    const partial = `${target}.${process.pid}.part`
    try {
      fs.linkSync(sourcePath, partial)
    } catch {
      await fs.promises.copyFile(sourcePath, partial, fs.constants.COPYFILE_FICLONE)
    }
    fs.renameSync(partial, target)
    return target
  }
}
