import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { planDomainLayout } from '../../../../src/virt/disk-layout.js'
import type { DomainRecord } from '../../../../src/virt/qemu/domain-store.js'
import { liveAddress } from '../../../../src/virt/qemu/qemu-volumes.js'
import type { DiskSpec } from '../../../../src/virt/virt-driver.js'

const root: DiskSpec = { name: 'root', role: 'root', source: { kind: 'image', imageId: 'img', imagePath: '/i', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }
const vol = (id: string, bus: DiskSpec['bus'] = 'virtio'): DiskSpec => ({ name: `volume-${id}`, role: 'volume', source: { kind: 'volume', volumeId: id, path: `/v/${id}`, format: 'raw' }, deviceType: 'disk', bus, deviceName: '', bootIndex: null })

function record(disks: DiskSpec[], controllers: Record<string, string> = {}): DomainRecord {
  const layout = planDomainLayout(disks, 'pc', (d) => d.name)
  return { instanceId: 'i', spec: { instanceId: 'i', name: 'i', vcpus: 1, memoryMb: 256, disks, configDrive: null, imageProperties: {}, nics: [] }, layout, formats: {}, argv: [], controllers, rescued: false, rescue: null, suspended: false }
}

describe('liveAddress', () => {
  test('a volume attached to a running guest gets its planned address when it is free', () => {
    const running = record([root, vol('a')])
    const planned = planDomainLayout([root, vol('a'), vol('b')], 'pc', (d) => d.name).devices[2]!
    assert.equal(liveAddress(running, planned), 'pci:0x06')
  })

  test('after a detach from the middle, the planned address may still be in use: the next free slot is taken', () => {
    // Running: root 0x04, volume-b 0x06 (volume-a at 0x05 was detached live). The plan for [root, b, c] puts c at 0x06.
    const running = record([root, vol('a'), vol('b')])
    running.layout.devices.splice(1, 1)
    const planned = planDomainLayout([root, vol('b'), vol('c')], 'pc', (d) => d.name).devices[2]!
    assert.equal(planned.address, 'pci:0x06')
    assert.equal(liveAddress(running, planned), 'pci:0x07')
  })

  test('PCI slots of controllers count as used', () => {
    const running = record([root], { scsi0: '0x05' })
    const planned = planDomainLayout([root, vol('a')], 'pc', (d) => d.name).devices[1]!
    assert.equal(liveAddress(running, planned), 'pci:0x06')
  })

  test('SCSI targets are handed out past those in use', () => {
    const running = record([root, vol('a', 'scsi'), vol('b', 'scsi')])
    running.layout.devices.splice(1, 1)
    const planned = planDomainLayout([root, vol('b', 'scsi'), vol('c', 'scsi')], 'pc', (d) => d.name).devices[2]!
    assert.equal(planned.address, 'scsi0:0:1')
    assert.equal(liveAddress(running, planned), 'scsi0:0:2')
  })
})
