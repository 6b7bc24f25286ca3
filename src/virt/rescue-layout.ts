import type { DiskSpec, DomainLayout, MachineType, RescueSpec } from './virt-driver.js'
import { AddressAllocator, plannedDevice, type SourceNamer } from './disk-layout.js'

/** The rescue disk as a DiskSpec: the rescue image as `hw_rescue_device` on `hw_rescue_bus`. */
export function rescueDisk(spec: RescueSpec, bus = spec.rescueBus, deviceType = spec.rescueDevice): DiskSpec {
  return {
    name: 'rescue',
    role: 'rescue',
    source: { kind: 'image', imageId: spec.rescueImage.imageId, imagePath: spec.rescueImage.path, format: spec.rescueImage.format, sizeGb: 0 },
    deviceType,
    bus,
    deviceName: '',
    bootIndex: 0,
  }
}

/**
 * Where every device goes during a rescue. Pure.
 *
 * Stable mode: every original disk (root, ephemeral, swap, volumes, config
 * drive) keeps its bus and address, in its original order, with no boot
 * priority; the rescue disk comes last, as `rescueDevice` on `rescueBus`, with
 * boot index 0. Because addresses are handed out in order, appending the
 * rescue disk cannot move an original one (the guest still sees `/dev/vda`).
 *
 * Legacy mode (Nova before stable rescue): the rescue disk is the first
 * virtio disk and boots; the original root is second; only root and config
 * drive are attached.
 */
export function planRescueLayout(spec: RescueSpec, machineType: MachineType, sourceOf: SourceNamer): DomainLayout {
  const allocator = new AddressAllocator(machineType)
  if (spec.mode === 'stable') {
    const devices = spec.instance.disks.map((disk) => plannedDevice(disk, allocator.place(disk), sourceOf(disk), null))
    const rescue = rescueDisk(spec)
    devices.push(plannedDevice(rescue, allocator.place(rescue), sourceOf(rescue), 0))
    return { machineType, devices }
  }
  const rescue = rescueDisk(spec, 'virtio', 'disk')
  const root = spec.instance.disks.find((d) => d.role === 'root')
  const config = spec.instance.disks.find((d) => d.role === 'config-drive')
  const ordered: Array<[DiskSpec, number | null]> = [[rescue, 0]]
  if (root) ordered.push([{ ...root, bus: 'virtio', deviceType: 'disk' }, null])
  if (config) ordered.push([config, null])
  return { machineType, devices: ordered.map(([disk, boot]) => plannedDevice(disk, allocator.place(disk), sourceOf(disk), boot)) }
}
