import { InvalidRequest } from '../errors.js'
import { qemuImgInfo, QemuImgError } from '../../util/qemu-img.js'
import { ServiceErrorCode } from '../error-codes.js'

/** What `qemu-img info` says about a file. */
export interface DiskInfo {
  /** Glance's name for the format (`vpc` is `vhd`). */
  format: string
  virtualSize: number
  backingFile: string | null
  dataFile: string | null
}

const QEMU_TO_GLANCE: Record<string, string> = { vpc: 'vhd' }

/** Disk formats whose data we can recognise; a claim of one of these must match the data. */
export const INSPECTABLE_FORMATS = new Set(['qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi'])

let qemuImgPresent: boolean | undefined

/**
 * Probes a file with `qemu-img info --output=json`. Null when qemu-img is not
 * installed; `format: 'unknown'` when qemu-img can't read the file.
 */
export async function inspectDiskFile(file: string): Promise<DiskInfo | null> {
  if (qemuImgPresent === false) return null
  try {
    const info = await qemuImgInfo(file, { timeoutMs: 60_000 })
    qemuImgPresent = true
    return { format: QEMU_TO_GLANCE[info.format] ?? info.format, virtualSize: info.virtualSize, backingFile: info.backingFile, dataFile: info.dataFile }
  } catch (error) {
    if (error instanceof QemuImgError && error.notInstalled) {
      qemuImgPresent = false
      return null
    }
    return { format: 'unknown', virtualSize: 0, backingFile: null, dataFile: null }
  }
}

/**
 * Glance's upload check (glance/location.py): the data must be what
 * `disk_format` claims, unless it claims raw or an uninspectable format;
 * images that point at other files fail the safety check. Returns the
 * virtual size (null when qemu-img is absent).
 */
export async function checkDiskData(file: string, diskFormat: string | null, size: number): Promise<number | null> {
  const info = await inspectDiskFile(file)
  if (!info) return diskFormat === 'raw' ? size : null
  const claimed = diskFormat ?? 'raw'
  if (INSPECTABLE_FORMATS.has(claimed) && info.format !== claimed) {
    const found = info.format === 'unknown' ? 'of an unrecognised format' : info.format
    throw new InvalidRequest(`Image disk_format ${claimed} does not match stream data ${found}`, ServiceErrorCode.IMAGE_FORMAT_MISMATCH)
  }
  if (info.backingFile !== null || info.dataFile !== null) {
    throw new InvalidRequest('Image failed safety checks', ServiceErrorCode.IMAGE_UNSAFE)
  }
  if (claimed === 'raw' || !INSPECTABLE_FORMATS.has(claimed)) return size
  return info.virtualSize
}
