import fs from 'node:fs'
import path from 'node:path'
import { runCommand, runWithInput } from '../run-command.js'

const MBR_BIN = '/usr/lib/syslinux/mbr/mbr.bin'
const ISOLINUX_BIN = '/usr/lib/ISOLINUX/isolinux.bin'
const ISOHYBRID_MBR = '/usr/lib/ISOLINUX/isohdpfx.bin'
const LDLINUX_C32 = '/usr/lib/syslinux/modules/bios/ldlinux.c32'
const MIB = 1024 * 1024

/** What a boot medium boots: a kernel, its initramfs and the kernel command line. */
export interface BootPayload {
  kernel: string
  initrd: string
  append: string
  /** Label of the boot filesystem (FAT label or ISO volume id), e.g. `LBRESCUE`. */
  label: string
  /** Marker files put next to the kernel: name → content. */
  markers: Record<string, string>
}

/** The syslinux/isolinux configuration: no prompt, no menu, boot at once, talk on the serial port. */
export function syslinuxConfig(append: string): string {
  return ['SERIAL 0 115200', 'DEFAULT linux', 'PROMPT 0', 'TIMEOUT 0', 'LABEL linux', '  KERNEL /vmlinuz', '  INITRD /initrd.gz', `  APPEND ${append}`, ''].join('\n')
}

async function writeInto(image: string, offsetBytes: number, source: string): Promise<void> {
  await runCommand('dd', [`if=${source}`, `of=${image}`, 'bs=1M', `seek=${offsetBytes / MIB}`, 'conv=notrunc,sparse', 'status=none'])
}

/** A FAT filesystem image with syslinux installed, holding the payload (mtools: no mount). */
async function fatBootPartition(payload: BootPayload, workDir: string): Promise<{ file: string; mib: number }> {
  const file = path.join(workDir, 'boot-part.img')
  fs.rmSync(file, { force: true })
  const bytes = fs.statSync(payload.kernel).size + fs.statSync(payload.initrd).size
  const mib = Math.ceil(bytes / MIB) + 2
  await runCommand('mkfs.vfat', ['-C', '-n', payload.label, file, String(mib * 1024)])
  const cfg = path.join(workDir, 'syslinux.cfg')
  fs.writeFileSync(cfg, syslinuxConfig(payload.append))
  const copies: Array<[string, string]> = [[payload.kernel, 'vmlinuz'], [payload.initrd, 'initrd.gz'], [cfg, 'syslinux.cfg']]
  for (const [name, content] of Object.entries(payload.markers)) {
    const marker = path.join(workDir, name)
    fs.writeFileSync(marker, `${content}\n`)
    copies.push([marker, name])
  }
  for (const [source, target] of copies) await runCommand('mcopy', ['-i', file, source, `::/${target}`])
  await runCommand('syslinux', ['--install', file])
  return { file, mib }
}

/** An ext4 filesystem image made from a folder of files (mkfs.ext4 -d: no mount). */
async function ext4Partition(label: string, files: Record<string, string>, mib: number, workDir: string): Promise<string> {
  const dir = path.join(workDir, `fs-${label}`)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), `${content}\n`)
  const file = path.join(workDir, `${label}.img`)
  fs.rmSync(file, { force: true })
  await runCommand('mkfs.ext4', ['-q', '-F', '-L', label, '-d', dir, file, `${mib}M`])
  return file
}

/**
 * A raw disk that SeaBIOS boots: syslinux's MBR, partition 1 a bootable FAT
 * with kernel and initramfs, optional partition 2 an ext4 filesystem with
 * `data.files` in its root (or the ready filesystem image `data.image` of
 * `data.mib` MiB). Built from plain files (sfdisk, dd, mtools).
 */
export async function buildBootDisk(payload: BootPayload, workDir: string, outFile: string, data?: { label: string; mib: number; files?: Record<string, string>; image?: string }): Promise<string> {
  fs.mkdirSync(workDir, { recursive: true })
  const boot = await fatBootPartition(payload, workDir)
  const dataFile = data ? data.image ?? await ext4Partition(data.label, data.files ?? {}, data.mib, workDir) : null
  const totalMib = 1 + boot.mib + (data?.mib ?? 0)
  fs.rmSync(outFile, { force: true })
  fs.writeFileSync(outFile, '')
  fs.truncateSync(outFile, totalMib * MIB)
  const bootSectors = boot.mib * 2048
  const table = [`start=2048, size=${bootSectors}, type=6, bootable`]
  if (data) table.push(`start=${2048 + bootSectors}, type=83`)
  await runWithInput('sfdisk', ['-q', outFile], `${table.join('\n')}\n`)
  await writeInto(outFile, MIB, boot.file)
  if (dataFile) await writeInto(outFile, (1 + boot.mib) * MIB, dataFile)
  await runCommand('dd', [`if=${MBR_BIN}`, `of=${outFile}`, 'bs=440', 'count=1', 'conv=notrunc', 'status=none'])
  return outFile
}

/**
 * An El Torito ISO (isolinux) that also boots as a disk (isohybrid MBR), with
 * the payload and its marker files at the top level; volume id = label.
 */
export async function buildBootIso(payload: BootPayload, workDir: string, outFile: string): Promise<string> {
  const dir = path.join(workDir, 'iso-root')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(path.join(dir, 'isolinux'), { recursive: true })
  fs.copyFileSync(ISOLINUX_BIN, path.join(dir, 'isolinux/isolinux.bin'))
  fs.copyFileSync(LDLINUX_C32, path.join(dir, 'isolinux/ldlinux.c32'))
  fs.writeFileSync(path.join(dir, 'isolinux/isolinux.cfg'), syslinuxConfig(payload.append))
  fs.copyFileSync(payload.kernel, path.join(dir, 'vmlinuz'))
  fs.copyFileSync(payload.initrd, path.join(dir, 'initrd.gz'))
  for (const [name, content] of Object.entries(payload.markers)) fs.writeFileSync(path.join(dir, name), `${content}\n`)
  fs.rmSync(outFile, { force: true })
  await runCommand('xorriso', ['-as', 'mkisofs', '-quiet', '-o', outFile, '-V', payload.label, '-J', '-R',
    '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
    '-isohybrid-mbr', ISOHYBRID_MBR, dir])
  return outFile
}
