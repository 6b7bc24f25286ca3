import type { DiskBus, DiskSpec, DomainLayout, MachineType, PlannedDevice } from './virt-driver.js'

const FIRST_PCI_SLOT = 4
const IDE_POSITIONS = ['ide:0:0', 'ide:0:1', 'ide:1:0', 'ide:1:1']

/** Device letters: a…z, then aa, ab… like Linux names disks. */
export function deviceLetters(index: number): string {
  let out = ''
  let n = index
  do {
    out = String.fromCharCode(97 + (n % 26)) + out
    n = Math.floor(n / 26) - 1
  } while (n >= 0)
  return out
}

/**
 * Hands out addresses in order of arrival, so a device placed later never
 * moves one placed earlier. Controllers (virtio-scsi, AHCI, xHCI) take a PCI
 * slot when their first device arrives.
 */
export class AddressAllocator {
  #nextPciSlot = FIRST_PCI_SLOT
  readonly #controllers = new Map<string, number>()
  #idePosition = 0
  #scsiTarget = 0
  #sataPort = 0
  #usbPort = 0
  #floppy = 0
  #virtioDisks = 0
  #scsiLikeDisks = 0
  #cdroms = 0
  readonly #machineType: MachineType

  constructor(machineType: MachineType) {
    this.#machineType = machineType
  }

  /** The bus a device really lands on: q35 has no IDE, its `ide` is the ICH9 AHCI (SATA) controller. */
  effectiveBus(bus: DiskBus): DiskBus {
    return this.#machineType === 'q35' && bus === 'ide' ? 'sata' : bus
  }

  /** PCI slots of the controllers placed so far, e.g. `{ scsi0: 5 }`. */
  controllers(): Record<string, number> {
    return Object.fromEntries(this.#controllers)
  }

  #controller(name: string): void {
    if (!this.#controllers.has(name)) this.#controllers.set(name, this.#nextPciSlot++)
  }

  /** Places one device: its bus as placed, its address and the guest's name for it. */
  place(disk: Pick<DiskSpec, 'bus' | 'deviceType'>): { bus: DiskBus; address: string; guestName: string } {
    const bus = disk.deviceType === 'floppy' ? 'fdc' : this.effectiveBus(disk.bus)
    let address: string
    switch (bus) {
      case 'virtio':
        address = `pci:0x${(this.#nextPciSlot++).toString(16).padStart(2, '0')}`
        break
      case 'scsi':
        this.#controller('scsi0')
        address = `scsi0:0:${this.#scsiTarget++}`
        break
      case 'ide': {
        const position = IDE_POSITIONS[this.#idePosition++]
        if (!position) throw new RangeError('no free IDE position (an IDE bus takes four devices)')
        address = position
        break
      }
      case 'sata':
        this.#controller('sata0')
        address = `sata0:${this.#sataPort++}`
        break
      case 'usb':
        this.#controller('usb0')
        address = `usb0:${this.#usbPort++}`
        break
      case 'fdc':
        if (this.#floppy > 1) throw new RangeError('no free floppy drive')
        address = `fdc:${this.#floppy}`
        break
    }
    let guestName: string
    if (disk.deviceType === 'floppy') guestName = `fd${this.#floppy++}`
    else if (disk.deviceType === 'cdrom' && bus !== 'virtio') guestName = `sr${this.#cdroms++}`
    else if (bus === 'virtio') guestName = `vd${deviceLetters(this.#virtioDisks++)}`
    else guestName = `sd${deviceLetters(this.#scsiLikeDisks++)}`
    return { bus, address, guestName }
  }
}

/** How a driver names what a disk reads (a file path for QEMU, a description for the fake). */
export type SourceNamer = (disk: DiskSpec) => string

function planned(disk: DiskSpec, placement: { bus: DiskBus; address: string; guestName: string }, source: string, bootIndex: number | null): PlannedDevice {
  return {
    name: disk.name, role: disk.role, deviceType: disk.deviceType, bus: placement.bus, address: placement.address,
    bootIndex, guestName: placement.guestName, source, readOnly: disk.deviceType === 'cdrom' || disk.role === 'config-drive',
  }
}

/**
 * The normal layout of a domain: every disk in its original order at the
 * address its order gives it, boot priority as the disk asks. Pure.
 */
export function planDomainLayout(disks: DiskSpec[], machineType: MachineType, sourceOf: SourceNamer): DomainLayout {
  const allocator = new AddressAllocator(machineType)
  const devices = disks.map((disk) => planned(disk, allocator.place(disk), sourceOf(disk), disk.bootIndex))
  return { machineType, devices }
}

export { planned as plannedDevice }
