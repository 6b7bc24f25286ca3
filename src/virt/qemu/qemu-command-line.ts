import { createHash } from 'node:crypto'
import { NBD_RECONNECT_DELAY_SECONDS, parseNbdUrl } from '../../util/nbd-url.js'
import { AddressAllocator } from '../disk-layout.js'
import type { DiskFormat, DomainLayout, MachineType, NicSpec, PlannedDevice } from '../virt-driver.js'
import { isUuid } from '../../util/uuid.js'
import { nicArgs, nicHotplugPortArgs, smbiosArgs, type GuestEgress } from './qemu-network.js'

/** A QEMU device or controller as `driver` plus properties, usable for `-device` and for QMP `device_add`. */
export interface QemuDevice {
  driver: string
  props: Record<string, string | number | boolean>
}

/** Everything a command line is made of besides the layout. */
export interface QemuLaunch {
  name: string
  instanceId: string
  machineType: MachineType
  acceleration: 'tcg' | 'kvm'
  vcpus: number
  memoryMb: number
  pidFile: string
  qmpSocket: string
  consoleLog: string
  /** The serial console's unix socket (QEMU is its server); without it the console only goes to the log file. */
  consoleSocket?: string
  /** The VNC server's unix socket (with a VGA card to show); without it the guest has no display at all. */
  vncSocket?: string
  layout: DomainLayout
  /** The image format of each device's file, by device name. */
  formats: Record<string, DiskFormat>
  /** A rescue run's result channel: a second serial port (the guest's ttyS1) written to this file. */
  runChannel?: string
  /** Resume from a saved state: `-S -incoming <uri>`. */
  incoming?: string
  /** The guest's NICs (none when absent), the host name their DHCP gives, what the guest may reach, and whether their forwards start with the process. */
  network?: { nics: NicSpec[]; hostname: string; egress: GuestEgress; withForwards: boolean }
}

// QEMU refuses block node names longer than 31 characters (`volume-<uuid>` is 43).
const MAX_NODE_NAME = 31

/** QEMU ids of a planned device: its drive (block backend) and its frontend; long names become a stable digest. */
export function deviceIds(name: string): { drive: string; device: string } {
  const short = `drive-${name}`.length <= MAX_NODE_NAME ? name : `h${createHash('sha256').update(name).digest('hex').slice(0, 20)}`
  return { drive: `drive-${short}`, device: `disk-${short}` }
}

function slot(pciSlot: number): string {
  return `0x${pciSlot.toString(16).padStart(2, '0')}`
}

/** The QEMU driver of each disk controller the planner may place. */
const CONTROLLER_DRIVERS: Record<string, string> = { scsi0: 'virtio-scsi-pci', sata0: 'ahci', usb0: 'qemu-xhci' }

/**
 * The controllers a layout needs and their PCI slots. The planners hand out
 * addresses in order of arrival, so replaying the layout through a fresh
 * AddressAllocator yields exactly the slots they gave the controllers; a
 * device whose replayed address differs means the layout was not planned in
 * one pass, which is a bug worth failing on.
 */
export function layoutControllers(layout: DomainLayout): QemuDevice[] {
  const allocator = new AddressAllocator(layout.machineType)
  for (const device of layout.devices) {
    const replayed = allocator.place({ bus: device.bus, deviceType: device.deviceType })
    if (replayed.address !== device.address) throw new Error(`device ${device.name} is at ${device.address}, expected ${replayed.address}: the layout was not planned in one pass`)
  }
  return Object.entries(allocator.controllers()).map(([id, pciSlot]) => ({ driver: CONTROLLER_DRIVERS[id]!, props: { id, addr: slot(pciSlot) } }))
}

function parts(address: string): string[] {
  return address.split(':')
}

/**
 * The QEMU frontend for one planned device, at its planned address:
 * virtio → virtio-blk-pci at `addr`; scsi → scsi-hd/scsi-cd on the virtio-scsi
 * controller; ide → ide-hd/ide-cd on PIIX (pc); sata → ide-hd/ide-cd on AHCI
 * (also q35's "ide"); usb → usb-storage on xHCI. Floppies have no frontend
 * device that takes a boot index (see `floppyGlobals`).
 */
export function frontendDevice(device: PlannedDevice): QemuDevice | null {
  const ids = deviceIds(device.name)
  const cdrom = device.deviceType === 'cdrom'
  const props: Record<string, string | number | boolean> = { drive: ids.drive, id: ids.device }
  let driver: string
  const [controller, ...rest] = parts(device.address)
  switch (device.bus) {
    case 'virtio':
      driver = 'virtio-blk-pci'
      props.addr = rest[0]!
      break
    case 'scsi':
      driver = cdrom ? 'scsi-cd' : 'scsi-hd'
      Object.assign(props, { bus: `${controller}.0`, channel: Number(rest[0]), 'scsi-id': Number(rest[1]), lun: 0 })
      break
    case 'ide':
      driver = cdrom ? 'ide-cd' : 'ide-hd'
      Object.assign(props, { bus: `ide.${rest[0]}`, unit: Number(rest[1]) })
      break
    case 'sata':
      driver = cdrom ? 'ide-cd' : 'ide-hd'
      props.bus = `${controller}.${rest[0]}`
      break
    case 'usb':
      driver = 'usb-storage'
      Object.assign(props, { bus: `${controller}.0`, port: String(Number(rest[0]) + 1) })
      break
    case 'fdc':
      return null
  }
  if (device.bootIndex !== null) props.bootindex = device.bootIndex
  return { driver, props }
}

/** `-global` settings that put a floppy drive on the ISA floppy controller (the only way to give it a boot index). */
export function floppyGlobals(device: PlannedDevice): string[] {
  const unit = parts(device.address)[1] === '1' ? 'B' : 'A'
  const globals = [`isa-fdc.drive${unit}=${deviceIds(device.name).drive}`]
  if (device.bootIndex !== null) globals.push(`isa-fdc.bootindex${unit}=${device.bootIndex}`)
  return globals
}

/** The `-drive` (block backend only, `if=none`) of a planned device. */
export function driveOption(device: PlannedDevice, format: DiskFormat): string {
  const options = [`if=none`, `id=${deviceIds(device.name).drive}`, ...fileOptions(device.source), `format=${format}`, 'cache=writeback', 'discard=unmap']
  if (device.readOnly) options.push('readonly=on')
  if (device.deviceType === 'cdrom' && device.bus !== 'virtio') options.push('media=cdrom')
  return options.join(',')
}

/**
 * The protocol layer of a drive: `file=<path>`, or for a volume served over
 * NBD (an `nbd://` URL) QEMU's own NBD client as structured options, the same
 * `driver=nbd,server.type=inet,…,export=…` a `-blockdev` takes.
 */
export function fileOptions(source: string): string[] {
  const nbd = parseNbdUrl(source)
  if (!nbd) return [`file=${escapeOption(source)}`]
  return ['file.driver=nbd', 'file.server.type=inet', `file.server.host=${escapeOption(nbd.host)}`, `file.server.port=${nbd.port}`, `file.export=${escapeOption(nbd.export)}`, `file.reconnect-delay=${NBD_RECONNECT_DELAY_SECONDS}`]
}

/** A comma inside a QEMU option value is written twice. */
export function escapeOption(value: string): string {
  return value.replaceAll(',', ',,')
}

/** `driver,key=value,…` as `-device` takes it. */
export function deviceOption(device: QemuDevice): string {
  const props = Object.entries(device.props).map(([key, value]) => `${key}=${typeof value === 'boolean' ? (value ? 'on' : 'off') : escapeOption(String(value))}`)
  return [device.driver, ...props].join(',')
}

const VGA_SLOT = 2

/**
 * The serial port's backend: a unix socket QEMU serves (one client at a time;
 * the agent holds it and shares it) that also appends everything the guest
 * writes to the log file, whether or not a client is attached, so
 * `os-getConsoleOutput` keeps reading the file; or the log file alone.
 */
export function consoleChardev(launch: Pick<QemuLaunch, 'consoleLog' | 'consoleSocket'>): string {
  const log = escapeOption(launch.consoleLog)
  if (!launch.consoleSocket) return `file,id=console0,path=${log},append=on`
  return `socket,id=console0,path=${escapeOption(launch.consoleSocket)},server=on,wait=off,logfile=${log},logappend=on`
}

/**
 * The whole QEMU command line (without the program name) for a layout: a
 * daemonized process with no default devices and no display, a pidfile, a
 * QMP unix socket, the serial console on a unix socket and appended to a log
 * file, a VNC server on a unix socket (with a VGA card), Nova's SMBIOS
 * identity, the NICs at their fixed PCI functions (and, on q35, the spare
 * root ports for NICs plugged later), then every controller and disk of the
 * layout at its planned address. Pure.
 */
export function buildQemuArgs(launch: QemuLaunch): string[] {
  const args = [
    '-name', `guest=${escapeOption(launch.name)},process=lifeboat-${launch.instanceId}`,
    ...(isUuid(launch.instanceId) ? ['-uuid', launch.instanceId] : []),
    '-accel', launch.acceleration,
    '-M', launch.machineType,
    '-m', String(launch.memoryMb),
    '-smp', String(Math.max(1, launch.vcpus)),
    '-nodefaults', '-no-user-config', '-display', 'none',
    '-daemonize', '-pidfile', launch.pidFile,
    '-qmp', `unix:${escapeOption(launch.qmpSocket)},server=on,wait=off`,
    '-chardev', consoleChardev(launch),
    '-serial', 'chardev:console0',
    // ttyS1 only for a rescue run: the guest's console (ttyS0) stays the user's, the run's one frame goes here.
    ...(launch.runChannel ? ['-chardev', `file,id=run0,path=${escapeOption(launch.runChannel)}`, '-serial', 'chardev:run0'] : []),
    ...smbiosArgs(launch.instanceId, isUuid(launch.instanceId)),
  ]
  // The VGA card sits in slot 2, free of NICs (slot 3) and disks (slot 4 on); the serial port stays the guest's console.
  if (launch.vncSocket) args.push('-vnc', `unix:${escapeOption(launch.vncSocket)}`, '-device', `VGA,id=video0,addr=${slot(VGA_SLOT)}`)
  if (launch.network) args.push(...nicArgs(launch.network.nics, launch.network))
  args.push(...nicHotplugPortArgs(launch.machineType))
  for (const controller of layoutControllers(launch.layout)) args.push('-device', deviceOption(controller))
  for (const device of launch.layout.devices) {
    const format = launch.formats[device.name]
    if (!format) throw new Error(`no format for device ${device.name}`)
    args.push('-drive', driveOption(device, format))
    const frontend = frontendDevice(device)
    if (frontend) args.push('-device', deviceOption(frontend))
    else for (const global of floppyGlobals(device)) args.push('-global', global)
  }
  if (launch.incoming) args.push('-S', '-incoming', launch.incoming)
  return args
}
