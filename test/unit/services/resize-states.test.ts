import assert from 'node:assert/strict'
import { test } from 'node:test'
import { statusFromState, vmStatesForStatus } from '../../../src/services/compute/instance-states.js'
import { withFlavor } from '../../../src/agent/manager/resize-instance.js'
import type { InstanceSpec } from '../../../src/virt/virt-driver.js'

test('a resize\'s statuses as Nova\'s status_from_state gives them', () => {
  for (const task of ['resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish']) {
    assert.equal(statusFromState('active', task), 'RESIZE')
    assert.equal(statusFromState('stopped', task), 'RESIZE')
  }
  assert.equal(statusFromState('resized', null), 'VERIFY_RESIZE')
  assert.equal(statusFromState('resized', 'resize_reverting'), 'REVERT_RESIZE')
  assert.deepEqual(vmStatesForStatus('VERIFY_RESIZE'), ['resized'])
})

test('withFlavor: the new vCPUs, RAM and root size; other disks as they were', () => {
  const spec: InstanceSpec = {
    instanceId: 'i', name: 'i', vcpus: 1, memoryMb: 512, configDrive: null, imageProperties: {}, nics: [],
    disks: [
      { name: 'root', role: 'root', source: { kind: 'image', imageId: 'img', imagePath: '/x', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 },
      { name: 'ephemeral0', role: 'ephemeral', source: { kind: 'blank', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vdb', bootIndex: null },
    ],
  }
  const resized = withFlavor(spec, { vcpus: 2, memoryMb: 2048, rootGb: 20 })
  assert.equal(resized.vcpus, 2)
  assert.equal(resized.memoryMb, 2048)
  assert.deepEqual(resized.disks[0]!.source, { kind: 'image', imageId: 'img', imagePath: '/x', format: 'qcow2', sizeGb: 20 })
  assert.deepEqual(resized.disks[1], spec.disks[1])
  assert.equal(spec.vcpus, 1, 'the original spec is untouched')
})
