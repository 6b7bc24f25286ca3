import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { mirroredDisks, ROOT_TOP_EXPORT } from '../../../../src/virt/qemu/qemu-rescued-migration.js'
import type { DiskSpec, InstanceSpec } from '../../../../src/virt/virt-driver.js'

const imageRoot: DiskSpec = { name: 'root', role: 'root', source: { kind: 'image', imageId: 'i', imagePath: '/i', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }
const volumeRoot: DiskSpec = { name: 'volume-v1', role: 'root', source: { kind: 'volume', volumeId: 'v1', path: '/v1', format: 'raw' }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }
const ephemeral: DiskSpec = { name: 'ephemeral0', role: 'ephemeral', source: { kind: 'blank', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vdb', bootIndex: null }
const volume: DiskSpec = { name: 'volume-v2', role: 'volume', source: { kind: 'volume', volumeId: 'v2', path: '/v2', format: 'raw' }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vdc', bootIndex: null }
const config: DiskSpec = { name: 'config', role: 'config-drive', source: { kind: 'config-drive' }, deviceType: 'cdrom', bus: 'ide', deviceName: '/dev/hdd', bootIndex: null }
const spec = (disks: DiskSpec[]): InstanceSpec => ({ instanceId: 'x', name: 'x', vcpus: 1, memoryMb: 64, disks, configDrive: null, imageProperties: {}, nics: [] })
const overlay = { path: '/d/rescue-root.qcow2', backing: '/d/root.qcow2', backingFormat: 'qcow2' as const }

describe('mirroredDisks: what a live migration copies', () => {
  test('not rescued: the local disks under their own names (volumes and the config drive stay)', () => {
    assert.deepEqual(mirroredDisks(spec([imageRoot, ephemeral, volume, config]), null), [{ name: 'root', exportKey: 'root' }, { name: 'ephemeral0', exportKey: 'ephemeral0' }])
  })

  test('rescued with the root snapshot: the root\'s top layer under its own key, and the rescue disk', () => {
    assert.deepEqual(mirroredDisks(spec([imageRoot, ephemeral, volume, config]), { mode: 'stable', rootOverlay: overlay }),
      [{ name: 'ephemeral0', exportKey: 'ephemeral0' }, { name: 'root', exportKey: ROOT_TOP_EXPORT }, { name: 'rescue', exportKey: 'rescue' }])
  })

  test('a volume-backed root\'s rescue overlay is local: it is mirrored; without a snapshot only the rescue disk is added', () => {
    assert.deepEqual(mirroredDisks(spec([volumeRoot, config]), { mode: 'stable', rootOverlay: { ...overlay, backing: '/v1', backingFormat: 'raw' } }),
      [{ name: 'volume-v1', exportKey: ROOT_TOP_EXPORT }, { name: 'rescue', exportKey: 'rescue' }])
    assert.deepEqual(mirroredDisks(spec([imageRoot]), { mode: 'legacy', rootOverlay: null }), [{ name: 'root', exportKey: 'root' }, { name: 'rescue', exportKey: 'rescue' }])
  })
})
