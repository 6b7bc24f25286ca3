import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { convertImage } from '../image-cache.js'
import { buildBootDisk, buildBootIso, type BootPayload } from './boot-media.js'
import { buildInitramfs } from './initramfs.js'
import { INIT_SCRIPT } from './init-script.js'
import { PUBLIC_KEYS_AWK, SSH_SERVER_BINARIES, UDHCPC_SCRIPT } from './guest-ssh.js'
import { findHostKernels, GUEST_MODULES, type HostKernel } from './kernels.js'

/** Bump when the images change in a way the inputs below don't show. */
const BUILDER_VERSION = 2

/** The images `buildImages` made, and what they can do. */
export interface BuiltImages {
  /** Hash of the build's inputs; the folder's name. */
  key: string
  dir: string
  /** Test guest disk (qcow2): prints markers, runs user_data, powers off on the ACPI button. */
  guest: string
  /** Rescue disk (qcow2) with the fast kernel, for `hw_rescue_device=disk` on virtio, scsi or ide. */
  rescueDisk: string
  /** Rescue disk (qcow2) with the generic kernel, which also sees USB and SATA disks. */
  rescueDiskAllBuses: string
  /** Rescue ISO (raw, isohybrid) with the generic kernel, for `hw_rescue_device=cdrom` on any bus. */
  rescueIso: string
  guestKernel: string
  /** Kernel of `rescueDisk`. */
  rescueKernel: string
  /** Kernel of `rescueDiskAllBuses` and `rescueIso`. */
  allBusesKernel: string
  /** Buses whose disks each rescue image's kernel can see (all of them boot through the firmware). */
  buses: { rescueDisk: string[]; allBuses: string[] }
  /** Whether this call reused a previous build. */
  cached: boolean
}

/** Where built images are cached: `<data folder>/guest-images`. */
export function defaultImagesDir(dataDir = process.env.LIFEBOAT_DATA_DIR ?? 'data'): string {
  return path.resolve(dataDir, 'guest-images')
}

function busesOf(kernel: HostKernel): string[] {
  return kernel.flavour === 'generic' ? ['virtio', 'scsi', 'ide', 'sata', 'usb'] : ['virtio', 'scsi', 'ide']
}

function cacheKey(fast: HostKernel, generic: HostKernel): string {
  const hash = crypto.createHash('sha256')
  hash.update(JSON.stringify({ BUILDER_VERSION, fast, generic, busybox: fs.statSync('/bin/busybox').size }))
  hash.update(INIT_SCRIPT)
  // The module list is an input too: a module added (virtio_net) must rebuild the images.
  hash.update(JSON.stringify(GUEST_MODULES))
  hash.update(UDHCPC_SCRIPT)
  hash.update(PUBLIC_KEYS_AWK)
  for (const binary of SSH_SERVER_BINARIES) hash.update(`${binary}:${fs.statSync(binary).size}:${fs.statSync(binary).mtimeMs}`)
  return hash.digest('hex').slice(0, 16)
}

function append(role: string, label: string): string {
  return `console=ttyS0 quiet mitigations=off lb.role=${role} lb.label=${label}`
}

async function toQcow2(raw: string, out: string): Promise<void> {
  await convertImage(raw, 'raw', out, 'qcow2', false)
}

/** Which tool is missing to build images, or null. */
export function missingBuildTool(): string | null {
  const tools: Array<[string, string]> = [['/bin/busybox', 'busybox-static'], ['/usr/lib/syslinux/mbr/mbr.bin', 'syslinux-common'],
    ['/usr/lib/ISOLINUX/isolinux.bin', 'isolinux'], ['/usr/bin/mcopy', 'mtools'], ['/usr/sbin/mkfs.vfat', 'dosfstools'],
    ['/usr/sbin/sfdisk', 'fdisk'], ['/usr/sbin/mkfs.ext4', 'e2fsprogs'], ['/usr/bin/xorriso', 'xorriso'], ['/usr/bin/syslinux', 'syslinux'],
    ['/usr/bin/cpio', 'cpio'], ['/usr/bin/qemu-img', 'qemu-utils'],
    ['/usr/sbin/dropbear', 'dropbear-bin'], ['/usr/bin/dropbearkey', 'dropbear-bin']]
  for (const [file, pkg] of tools) if (!fs.existsSync(file)) return `${file} (apt-get install ${pkg})`
  const kernels = findHostKernels()
  if (!kernels.cloud && !kernels.generic) return 'a Debian kernel in /boot (apt-get install linux-image-cloud-amd64)'
  return null
}

/**
 * Builds the test guest image and the rescue images from this host's Debian
 * packages, or returns the cached ones when their inputs have not changed.
 * The guest and the default rescue disk use the cloud kernel (boots
 * fastest); the "all buses" rescue disk and the rescue ISO use the generic
 * kernel when installed, because only it has USB and AHCI drivers (every
 * image boots from any bus through the firmware; the kernel decides which
 * disks the running rescue can see).
 * Builds in a temporary folder and renames, so concurrent builds are safe.
 */
export async function buildImages(options: { dir?: string; force?: boolean } = {}): Promise<BuiltImages> {
  const dir = options.dir ?? defaultImagesDir()
  const missing = missingBuildTool()
  if (missing) throw new Error(`cannot build images: missing ${missing}`)
  const kernels = findHostKernels()
  const fast = (kernels.cloud ?? kernels.generic)!
  const generic = (kernels.generic ?? kernels.cloud)!
  const key = cacheKey(fast, generic)
  const target = path.join(dir, key)
  const result = (cached: boolean): BuiltImages => ({
    key, dir: target, guest: path.join(target, 'guest.qcow2'), rescueDisk: path.join(target, 'rescue.qcow2'),
    rescueDiskAllBuses: path.join(target, 'rescue-all-buses.qcow2'), rescueIso: path.join(target, 'rescue.iso'),
    guestKernel: fast.version, rescueKernel: fast.version, allBusesKernel: generic.version,
    buses: { rescueDisk: busesOf(fast), allBuses: busesOf(generic) }, cached,
  })
  if (!options.force && fs.existsSync(path.join(target, 'manifest.json'))) return result(true)

  fs.mkdirSync(dir, { recursive: true })
  const work = fs.mkdtempSync(path.join(dir, '.build-'))
  try {
    const fastInitrd = await buildInitramfs(fast, work, path.join(work, 'initrd-fast.gz'))
    const genericInitrd = generic === fast ? fastInitrd : await buildInitramfs(generic, work, path.join(work, 'initrd-generic.gz'))
    const guest: BootPayload = { kernel: fast.vmlinuz, initrd: fastInitrd, append: append('guest', 'LBGUEST'), label: 'LBGUEST', markers: { 'lifeboat-marker': 'guest-boot-partition' } }
    const rescue: BootPayload = { kernel: fast.vmlinuz, initrd: fastInitrd, append: append('rescue', 'LBRESCUE'), label: 'LBRESCUE', markers: { 'lifeboat-marker': 'rescue-disk' } }
    const rescueAll: BootPayload = { ...rescue, kernel: generic.vmlinuz, initrd: genericInitrd }
    const out = path.join(work, 'out')
    fs.mkdirSync(out)
    await buildBootDisk(guest, path.join(work, 'guest'), path.join(work, 'guest.raw'), { label: 'lbroot', mib: 16, files: { 'lifeboat-marker': 'guest-root' } })
    await toQcow2(path.join(work, 'guest.raw'), path.join(out, 'guest.qcow2'))
    await buildBootDisk(rescue, path.join(work, 'rescue'), path.join(work, 'rescue.raw'))
    await toQcow2(path.join(work, 'rescue.raw'), path.join(out, 'rescue.qcow2'))
    await buildBootDisk(rescueAll, path.join(work, 'rescue-all'), path.join(work, 'rescue-all.raw'))
    await toQcow2(path.join(work, 'rescue-all.raw'), path.join(out, 'rescue-all-buses.qcow2'))
    await buildBootIso({ ...rescueAll, markers: { 'lifeboat-marker': 'rescue-iso' } }, path.join(work, 'iso'), path.join(out, 'rescue.iso'))
    const built = result(false)
    fs.writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify({ key, guestKernel: built.guestKernel, rescueKernel: built.rescueKernel, allBusesKernel: built.allBusesKernel, buses: built.buses, builtAt: new Date().toISOString() }, null, 2)}\n`)
    if (options.force) fs.rmSync(target, { recursive: true, force: true })
    try {
      fs.renameSync(out, target)
    } catch (error) {
      // Another build finished first with the same inputs: use its result.
      if (!fs.existsSync(path.join(target, 'manifest.json'))) throw error
      return result(true)
    }
    return built
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}
