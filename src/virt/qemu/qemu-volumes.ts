import { setTimeout as sleep } from 'node:timers/promises'
import { planDomainLayout } from '../disk-layout.js'
import { DriverError, type DiskSpec, type InstanceSpec, type PlannedDevice } from '../virt-driver.js'
import type { DomainRecord } from './domain-store.js'
import { deviceIds, deviceOption, driveOption, frontendDevice, type QemuDevice } from './qemu-command-line.js'
import type { QemuHost } from './qemu-host.js'
import { runningPid } from './qemu-process.js'
import { withQmp, type QmpClient } from './qmp-client.js'
import { nbdBlockdev, parseNbdUrl } from '../../util/nbd-url.js'
import { assertNbdReachable } from './nbd-reach.js'
import { DriverErrorCode } from '../error-codes.js'

// Like Nova's libvirt driver (device_detach_attempts, device_detach_timeout): a guest that is
// still booting misses the ACPI unplug request, so it is sent again until the guest acts on it.
export const UNPLUG_ATTEMPTS = 8
export const UNPLUG_ATTEMPT_TIMEOUT_MS = 10_000
const CONTROLLERS: Record<string, { id: string; driver: string }> = { scsi: { id: 'scsi0', driver: 'virtio-scsi-pci' }, usb: { id: 'usb0', driver: 'qemu-xhci' } }
const MAX_PCI_SLOT = 0x1f

export function usedPciSlots(record: DomainRecord): Set<number> {
  const used = new Set(Object.values(record.controllers).map((addr) => Number(addr)))
  for (const device of record.layout.devices) if (device.bus === 'virtio') used.add(Number(device.address.split(':')[1]))
  // NICs plugged into the running guest have slots of their own (qemu-nics.ts).
  for (const nic of record.nics ?? []) if (nic.slot !== undefined) used.add(nic.slot)
  return used
}

/**
 * The address a hot-plugged device gets: the planned one when it is free in
 * the running guest, else the next free one (a volume detached from the
 * middle leaves the running guest's addresses where they were; the next
 * boot uses the plan again).
 */
export function liveAddress(record: DomainRecord, planned: PlannedDevice): string {
  const taken = new Set(record.layout.devices.map((d) => d.address))
  if (planned.bus === 'virtio') {
    const used = usedPciSlots(record)
    let slot = Number(planned.address.split(':')[1])
    while (used.has(slot)) slot++
    if (slot > MAX_PCI_SLOT) throw new DriverError('no free PCI slot for a hot-plugged disk', { code: DriverErrorCode.NO_FREE_ADDRESS })
    return `pci:0x${slot.toString(16).padStart(2, '0')}`
  }
  const parts = planned.address.split(':')
  let last = Number(parts.at(-1))
  const at = (n: number) => [...parts.slice(0, -1), String(n)].join(':')
  while (taken.has(at(last))) last++
  return at(last)
}

function assertHotPluggable(host: QemuHost, bus: string): void {
  if (!['virtio', 'scsi', 'usb'].includes(bus)) {
    throw new DriverError(`a disk on bus ${bus} cannot be attached to or detached from a running guest; stop the server first`, { code: DriverErrorCode.HOTPLUG_UNSUPPORTED })
  }
  if (host.machineType === 'q35') {
    throw new DriverError('q35 guests have no hot-pluggable PCI slot (the PCIe root bus does not take hot-plugs); stop the server first', { code: DriverErrorCode.HOTPLUG_UNSUPPORTED })
  }
}

/** The protocol node under a hot-plugged drive: the file, or QEMU's NBD client for an `nbd://` volume. */
export function blockdevFile(source: string): Record<string, unknown> {
  const nbd = parseNbdUrl(source)
  return nbd ? nbdBlockdev(nbd) : { driver: 'file', filename: source }
}

function qmpProps(device: QemuDevice): Record<string, unknown> {
  return { driver: device.driver, ...device.props }
}

async function plugController(qmp: QmpClient, record: DomainRecord, bus: string): Promise<QemuDevice | null> {
  const controller = CONTROLLERS[bus]
  if (!controller || record.controllers[controller.id]) return null
  const used = usedPciSlots(record)
  let slot = 4
  while (used.has(slot)) slot++
  const device: QemuDevice = { driver: controller.driver, props: { id: controller.id, addr: `0x${slot.toString(16).padStart(2, '0')}` } }
  await qmp.execute('device_add', qmpProps(device))
  record.controllers[controller.id] = String(device.props.addr)
  return device
}

/**
 * Attaches a volume. A running guest gets it at once (QMP `blockdev-add` +
 * `device_add`) at its planned address; a stopped (or rescued) one gets it
 * at its next boot, from the spec.
 */
export async function attachDisk(host: QemuHost, spec: InstanceSpec, disk: DiskSpec): Promise<void> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  if (runningPid(paths) === null || record.rescued) {
    host.store.save({ ...record, spec })
    return
  }
  assertHotPluggable(host, disk.bus)
  const file = host.diskFile(paths, disk)
  assertNbdReachable(file.path, record.egress ?? host.egress, disk.name)
  const planned = planDomainLayout(spec.disks, host.machineType, (d) => (d.name === disk.name ? file.path : '')).devices.find((d) => d.name === disk.name)
  if (!planned) throw new DriverError(`disk ${disk.name} is not in the spec`, { code: DriverErrorCode.BAD_SPEC })
  const device: PlannedDevice = { ...planned, address: liveAddress(record, planned), bootIndex: null }
  const frontend = frontendDevice(device)!
  const ids = deviceIds(disk.name)
  const added: string[] = []
  await withQmp(paths.qmpSocket, async (qmp) => {
    const controller = await plugController(qmp, record, device.bus)
    if (controller) added.push('-device', deviceOption(controller))
    await qmp.execute('blockdev-add', { driver: file.format, 'node-name': ids.drive, 'read-only': device.readOnly, file: blockdevFile(file.path) })
    try {
      await qmp.execute('device_add', qmpProps(frontend))
    } catch (error) {
      await qmp.execute('blockdev-del', { 'node-name': ids.drive }).catch((cleanup: unknown) => host.log.warn({ err: cleanup, server: spec.instanceId, disk: disk.name }, 'device_add failed and its drive could not be deleted'))
      throw error
    }
  })
  added.push('-drive', driveOption(device, file.format), '-device', deviceOption(frontend))
  host.store.save({
    ...record, spec, argv: [...record.argv, ...added],
    layout: { ...record.layout, devices: [...record.layout.devices, device] },
    formats: { ...record.formats, [disk.name]: file.format },
  })
}

function withoutDevice(argv: string[], name: string): string[] {
  const ids = deviceIds(name)
  const mine = new RegExp(`(^|,)(id|drive)=(${ids.drive}|${ids.device})(,|$)`)
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '-drive' || argv[i] === '-device') && mine.test(argv[i + 1] ?? '')) {
      i++
      continue
    }
    out.push(argv[i]!)
  }
  return out
}

/**
 * Detaches a volume. A running guest is asked to release it (QMP
 * `device_del`, which needs the guest's cooperation, as on real hardware).
 * A guest that is still booting misses the request, so it is repeated, up to
 * UNPLUG_ATTEMPTS times; a guest that never releases the disk makes the
 * detach fail with nothing changed.
 */
export async function detachDisk(host: QemuHost, spec: InstanceSpec, diskName: string): Promise<void> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  const device = record.layout.devices.find((d) => d.name === diskName)
  if (runningPid(paths) === null || !device || record.rescued) {
    host.store.save({ ...record, spec })
    return
  }
  assertHotPluggable(host, device.bus)
  const ids = deviceIds(diskName)
  if (!(await unplugWithRetries(paths.qmpSocket, ids.device))) {
    throw new DriverError(`the guest did not release ${diskName} after ${UNPLUG_ATTEMPTS} unplug requests ${UNPLUG_ATTEMPT_TIMEOUT_MS / 1000} s apart`, { code: DriverErrorCode.DETACH_TIMEOUT })
  }
  // Drives from -drive go with their device; hot-plugged ones (blockdev-add) must be deleted.
  await withQmp(paths.qmpSocket, (qmp) => qmp.execute('blockdev-del', { 'node-name': ids.drive }))
    .catch((cleanup: unknown) => host.log.warn({ err: cleanup, server: spec.instanceId, disk: diskName }, 'the unplugged disk\'s drive could not be deleted'))
  const formats = { ...record.formats }
  delete formats[diskName]
  host.store.save({
    ...record, spec, formats, argv: withoutDevice(record.argv, diskName),
    layout: { ...record.layout, devices: record.layout.devices.filter((d) => d.name !== diskName) },
  })
}

async function deviceIsPresent(qmpSocket: string, deviceId: string): Promise<boolean> {
  const children = await withQmp(qmpSocket, (qmp) => qmp.execute<Array<{ name: string }>>('qom-list', { path: '/machine/peripheral' }))
  return children.some((c) => c.name === deviceId)
}

/** Sends `device_del` until the device is gone; false when the guest never let it go. */
export async function unplugWithRetries(qmpSocket: string, deviceId: string): Promise<boolean> {
  for (let attempt = 0; attempt < UNPLUG_ATTEMPTS; attempt++) {
    if (!(await deviceIsPresent(qmpSocket, deviceId))) return true
    await withQmp(qmpSocket, (qmp) => qmp.execute('device_del', { id: deviceId }))
    const deadline = Date.now() + UNPLUG_ATTEMPT_TIMEOUT_MS
    while (Date.now() < deadline) {
      await sleep(100)
      if (!(await deviceIsPresent(qmpSocket, deviceId))) return true
    }
  }
  return false
}
