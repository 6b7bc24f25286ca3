import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { planRescueLayout } from '../../../src/virt/rescue-layout.js'
import { planDomainLayout } from '../../../src/virt/disk-layout.js'
import type { DeviceType, DiskBus, DiskSpec, RescueSpec } from '../../../src/virt/virt-driver.js'

const root: DiskSpec = { name: 'root', role: 'root', source: { kind: 'image', imageId: 'img', imagePath: '/i', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }
const volume: DiskSpec = { name: 'volume-v1', role: 'volume', source: { kind: 'volume', volumeId: 'v1', path: '/v1', format: 'raw' }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vdb', bootIndex: null }
const config: DiskSpec = { name: 'config', role: 'config-drive', source: { kind: 'config-drive' }, deviceType: 'cdrom', bus: 'ide', deviceName: '/dev/hdd', bootIndex: null }
const name = (d: DiskSpec) => d.name

function spec(mode: 'stable' | 'legacy', device: DeviceType = 'disk', bus: DiskBus = 'virtio'): RescueSpec {
  return {
    instance: { instanceId: 'i-1', name: 's', vcpus: 1, memoryMb: 256, disks: [root, volume, config], configDrive: null, imageProperties: {}, nics: [] },
    mode, rescueImage: { imageId: 'r', path: '/r', format: 'qcow2', properties: {} }, rescueDevice: device, rescueBus: bus,
    rescueConfigDrive: null, snapshotRoot: false,
  }
}

describe('planRescueLayout', () => {
  test('stable rescue keeps every original device at its normal address and appends the rescue disk with boot index 0', () => {
    const normal = planDomainLayout([root, volume, config], 'pc', name)
    const rescue = planRescueLayout(spec('stable'), 'pc', name)
    assert.deepEqual(rescue.devices.slice(0, 3).map((d) => [d.name, d.bus, d.address, d.guestName]), normal.devices.map((d) => [d.name, d.bus, d.address, d.guestName]))
    assert.deepEqual(rescue.devices.slice(0, 3).map((d) => d.bootIndex), [null, null, null])
    const last = rescue.devices.at(-1)!
    assert.deepEqual([last.name, last.bus, last.deviceType, last.bootIndex, last.guestName], ['rescue', 'virtio', 'disk', 0, 'vdc'])
  })

  for (const [device, bus, guest] of [['disk', 'scsi', 'sda'], ['disk', 'ide', 'sda'], ['disk', 'sata', 'sda'], ['disk', 'usb', 'sda'], ['cdrom', 'scsi', 'sr1'], ['cdrom', 'sata', 'sr1'], ['cdrom', 'usb', 'sr1'], ['cdrom', 'ide', 'sr1']] as const) {
    test(`stable rescue as ${device} on ${bus} leaves vda and vdb in place`, () => {
      const rescue = planRescueLayout(spec('stable', device, bus), 'pc', name)
      assert.deepEqual(rescue.devices.map((d) => d.guestName).slice(0, 2), ['vda', 'vdb'])
      const last = rescue.devices.at(-1)!
      assert.equal(last.bus, bus)
      assert.equal(last.deviceType, device)
      assert.equal(last.guestName, guest)
      assert.equal(last.bootIndex, 0)
    })
  }

  test('on q35, ide is the AHCI controller: the rescue disk lands on sata', () => {
    const rescue = planRescueLayout(spec('stable', 'disk', 'ide'), 'q35', name)
    assert.equal(rescue.devices.at(-1)!.bus, 'sata')
  })

  test('legacy rescue puts the rescue disk first, the root second, and drops volumes', () => {
    const rescue = planRescueLayout(spec('legacy'), 'pc', name)
    assert.deepEqual(rescue.devices.map((d) => [d.name, d.guestName, d.bootIndex]), [['rescue', 'vda', 0], ['root', 'vdb', null], ['config', 'sr0', null]])
  })
})
