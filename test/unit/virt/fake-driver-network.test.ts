import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { FakeDriver, fakeDomainsDir } from '../../../src/virt/fake/fake-driver.js'
import type { DiskSpec, InstanceSpec, NicSpec, PortForward } from '../../../src/virt/virt-driver.js'

const ssh: PortForward = { protocol: 'tcp', hostAddress: '127.42.0.5', hostPort: 22, guestPort: 22 }
const web: PortForward = { protocol: 'tcp', hostAddress: '127.42.0.5', hostPort: 80, guestPort: 80 }
const nic: NicSpec = { portId: 'port-1', networkId: 'net-1', mac: 'fa:16:3e:00:00:01', ip: '10.0.0.7', cidr: '10.0.0.0/24', gateway: '10.0.0.1', dnsAddress: '10.0.0.254', mtu: 1500, forwards: [ssh] }
const root: DiskSpec = { name: 'root', role: 'root', source: { kind: 'image', imageId: 'img', imagePath: '', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }

test('the fake driver records the NICs of each boot and the forwards applied now, which applyForwards changes without a boot', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-fake-net-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const stateFile = path.join(dir, 'fake-domains.json')
  const driver = new FakeDriver({ stateFile, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 4, memoryMb: 4096, diskGb: 40 })
  const spec: InstanceSpec = { instanceId: 'i-1', name: 'vm', vcpus: 1, memoryMb: 256, disks: [root], configDrive: null, imageProperties: {}, nics: [nic] }
  const saved = () => JSON.parse(fs.readFileSync(path.join(fakeDomainsDir(stateFile), 'i-1.json'), 'utf8'))
  await driver.spawn(spec)
  assert.deepEqual(saved().nics, [nic])
  assert.deepEqual(saved().forwards, { 'port-1': [ssh] })
  const boots = () => (saved().console as string[]).filter((l) => l.startsWith('[fake] booting')).length

  await driver.applyForwards({ ...spec, nics: [{ ...nic, forwards: [ssh, web] }, { ...nic, portId: 'port-not-plugged', forwards: [web] }] })
  assert.deepEqual(saved().forwards, { 'port-1': [ssh, web] }, 'a NIC the guest lacks waits for a boot')
  assert.equal(boots(), 1)

  // A rescue is a new boot with the same NICs: the spec's forwards are applied again.
  await driver.rescue({ instance: spec, mode: 'stable', rescueImage: { imageId: 'r', path: '', format: 'qcow2', properties: {} }, rescueDevice: 'disk', rescueBus: 'virtio', rescueConfigDrive: null, snapshotRoot: false }, {})
  assert.deepEqual(saved().nics, [nic])
  assert.deepEqual(saved().forwards, { 'port-1': [ssh] })

  await driver.powerOff('i-1')
  await driver.applyForwards({ ...spec, nics: [{ ...nic, forwards: [] }] })
  assert.deepEqual(saved().forwards, { 'port-1': [ssh] }, 'a stopped guest changes nothing until it boots')
})
