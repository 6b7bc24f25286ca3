import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before } from 'node:test'
import { onPath } from '../../../src/virt/driver-factory.js'
import { buildImages, missingBuildTool, type BuiltImages } from '../../../src/virt/qemu/guest-image/build-images.js'
import { findHostKernels } from '../../../src/virt/qemu/guest-image/kernels.js'
import { QemuDriver } from '../../../src/virt/qemu/qemu-driver.js'
import type { ConfigDriveSpec, DiskSpec, InstanceSpec, MachineType } from '../../../src/virt/virt-driver.js'
import type { GuestEgress } from '../../../src/virt/qemu/qemu-network.js'
import { skipUnless } from '../../helpers/tiers.js'
import { waitUntil } from '../../helpers/wait-until.js'

/** Debian packages the QEMU e2e tier needs. */
export const QEMU_PACKAGES = 'apt-get install qemu-system-x86 qemu-utils busybox-static linux-image-cloud-amd64 linux-image-amd64 syslinux syslinux-common isolinux mtools dosfstools fdisk e2fsprogs xorriso cpio kmod dropbear-bin openssh-client'

/** The `skip` option of a QEMU e2e suite. */
export function qemuSkip(): string | false {
  const missing = onPath('qemu-system-x86_64') ? missingBuildTool() : 'qemu-system-x86_64'
  return skipUnless(missing === null, `QEMU (${missing ?? ''})`, QEMU_PACKAGES)
}

/** The `skip` option of a suite that needs the generic kernel (USB and AHCI drivers) in its rescue images. */
export function genericKernelSkip(): string | false {
  return qemuSkip() || skipUnless(findHostKernels().generic !== null, 'the generic Debian kernel (USB and SATA rescue images need its drivers)', 'apt-get install linux-image-amd64')
}

/** A temporary state folder, a driver on it, the built images, and a cleanup that stops every guest. */
export async function qemuWorld(machineType: MachineType = 'pc', guestEgress?: GuestEgress): Promise<{ dir: string; driver: QemuDriver; images: BuiltImages; cleanup: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-qemu-'))
  const images = await buildImages()
  const driver = new QemuDriver({ stateDir: path.join(dir, 'qemu'), machineType, shutdownTimeoutSeconds: 30, ...(guestEgress ? { guestEgress } : {}) })
  await driver.init()
  const cleanup = async () => {
    await stopQemuGuests(path.join(dir, 'qemu'), machineType)
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return { dir, driver, images, cleanup }
}

/** Stops every guest a QEMU driver left in `stateDir`: they are daemonized and outlive the test otherwise. */
export async function stopQemuGuests(stateDir: string, machineType: MachineType = 'pc'): Promise<void> {
  const survivor = new QemuDriver({ stateDir, machineType })
  for (const domain of await survivor.listDomains()) await survivor.destroy(domain.instanceId)
}

/** What a suite's tests use of its QEMU world (filled in by its `before`). */
export interface QemuSuiteWorld {
  readonly dir: string
  readonly driver: QemuDriver
  readonly images: BuiltImages
}

/**
 * A QEMU world for the enclosing `describe`: built in its `before`, every
 * guest stopped and the folder removed in its `after`. Read it inside tests.
 */
export function useQemuWorld(machineType: MachineType = 'pc'): QemuSuiteWorld {
  const world = {} as { -readonly [K in keyof QemuSuiteWorld]: QemuSuiteWorld[K] }
  let cleanup = async () => undefined as void
  before(async () => {
    ({ dir: world.dir, driver: world.driver, images: world.images, cleanup } = await qemuWorld(machineType))
  })
  after(() => cleanup())
  return world
}

/** An ext4 volume file (whole-disk filesystem, label `lbvol`) with `lifeboat-marker` = `marker`. */
export function makeVolume(dir: string, id: string, marker: string, format: 'raw' | 'qcow2' = 'raw'): string {
  const content = path.join(dir, `${id}-content`)
  fs.mkdirSync(content, { recursive: true })
  fs.writeFileSync(path.join(content, 'lifeboat-marker'), `${marker}\n`)
  const raw = path.join(dir, `${id}.raw`)
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'lbvol', '-d', content, raw, '16M'])
  if (format === 'raw') return raw
  const qcow2 = path.join(dir, `${id}.qcow2`)
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2])
  fs.rmSync(raw)
  return qcow2
}

/** Disk specs as the compute service builds them. */
export const disks = {
  imageRoot: (imagePath: string): DiskSpec => ({ name: 'root', role: 'root', source: { kind: 'image', imageId: 'lifeboat-guest', imagePath, format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }),
  volumeRoot: (id: string, file: string, format: 'raw' | 'qcow2'): DiskSpec => ({ name: `volume-${id}`, role: 'root', source: { kind: 'volume', volumeId: id, path: file, format }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }),
  volume: (id: string, file: string, format: 'raw' | 'qcow2', deviceName = '/dev/vdb'): DiskSpec => ({ name: `volume-${id}`, role: 'volume', source: { kind: 'volume', volumeId: id, path: file, format }, deviceType: 'disk', bus: 'virtio', deviceName, bootIndex: null }),
  config: (): DiskSpec => ({ name: 'config', role: 'config-drive', source: { kind: 'config-drive' }, deviceType: 'cdrom', bus: 'ide', deviceName: '/dev/hdd', bootIndex: null }),
}

/** A config drive whose user_data runs `script` when the image's role is `role`. */
export function configDrive(instanceId: string, role: 'guest' | 'rescue', script: string): ConfigDriveSpec {
  return {
    metaData: { uuid: instanceId, name: instanceId, hostname: instanceId, public_keys: {}, keys: [], meta: {} },
    userData: `[ "$LB_ROLE" = ${role} ] || exit 0\n${script}\n`,
    networkData: { links: [], networks: [], services: [] },
  }
}

/** A shell line for user_data: write `content` to `file` at the root of the ext4 filesystem on `device`. */
export function writeMarker(device: string, file: string, content: string): string {
  return `mkdir -p /m && mount -t ext4 ${device} /m && echo ${content} > /m/${file} && sync && umount /m && echo "wrote ${file} on ${device}"`
}

/** A minimal instance spec. */
export function instance(instanceId: string, diskList: DiskSpec[], config: ConfigDriveSpec | null): InstanceSpec {
  return { instanceId, name: instanceId, vcpus: 1, memoryMb: 256, disks: diskList, configDrive: config, imageProperties: {}, nics: [] }
}

/** Console line count now, to wait for what comes after. */
export async function consoleMark(driver: QemuDriver, instanceId: string): Promise<number> {
  return (await driver.getConsoleOutput(instanceId).catch(() => '')).split('\n').length
}

/** Waits until the console, after line `from`, matches `pattern`; resolves with that part of the console. */
export async function waitForConsole(driver: QemuDriver, instanceId: string, pattern: RegExp, from: number, timeoutMs = 90_000): Promise<string> {
  let text = ''
  return waitUntil(async () => {
    text = (await driver.getConsoleOutput(instanceId)).split('\n').slice(from).join('\n')
    return pattern.test(text) ? text : undefined
  }, { timeoutMs, intervalMs: 100, what: () => `console of ${instanceId} did not show ${pattern} within ${timeoutMs} ms; it shows:\n${text}` })
}

/** What one boot of a Lifeboat test image printed. */
export interface BootReport {
  role: string
  /** Block devices in the order the guest listed them (sorted by name). */
  disks: string[]
  /** Filesystem label by partition/device. */
  labels: Record<string, string>
  /** `lifeboat-marker*` file contents by device, then file name. */
  files: Record<string, Record<string, string>>
  text: string
}

/** Parses the last complete boot (BOOTED … DONE) in a console excerpt. */
export function lastBoot(text: string): BootReport {
  const start = text.lastIndexOf('LB-MARKER-BOOTED')
  if (start < 0) throw new Error(`no boot in:\n${text}`)
  const part = text.slice(start)
  const report: BootReport = { role: /LB-MARKER-BOOTED role=(\S+)/.exec(part)![1]!, disks: [], labels: {}, files: {}, text: part }
  for (const line of part.split('\n')) {
    let m: RegExpExecArray | null
    if ((m = /^LB-DISK (\S+)/.exec(line))) report.disks.push(m[1]!)
    else if ((m = /^LB-FS (\S+) type=\S+ label=(.*)$/.exec(line))) report.labels[m[1]!] = m[2]!.trim()
    else if ((m = /^LB-FILE (\S+) (\S+) (.*)$/.exec(line))) (report.files[m[1]!] ??= {})[m[2]!] = m[3]!.trim()
  }
  return report
}
