import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { FakeDriver, fakeDomainsDir } from '../../../src/virt/fake/fake-driver.js'
import { DriverError, type DiskSpec, type InstanceSpec } from '../../../src/virt/virt-driver.js'

const root: DiskSpec = { name: 'root', role: 'root', source: { kind: 'image', imageId: 'img', imagePath: '', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }

test('the fake driver takes an NMI from a running or paused guest (logged on its console) and refuses a stopped one', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-fake-nmi-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const stateFile = path.join(dir, 'fake-domains.json')
  const driver = new FakeDriver({ stateFile, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 4, memoryMb: 4096, diskGb: 40 })
  const spec: InstanceSpec = { instanceId: 'i-1', name: 'vm', vcpus: 1, memoryMb: 256, disks: [root], configDrive: null, imageProperties: {}, nics: [] }
  const nmis = () => (JSON.parse(fs.readFileSync(path.join(fakeDomainsDir(stateFile), 'i-1.json'), 'utf8')).console as string[]).filter((l) => l.includes('NMI')).length
  await driver.spawn(spec)
  await driver.triggerCrashDump('i-1')
  assert.equal(nmis(), 1)
  await driver.pause('i-1')
  await driver.triggerCrashDump('i-1')
  assert.equal(nmis(), 2)
  await driver.unpause('i-1')
  await driver.powerOff('i-1')
  await assert.rejects(driver.triggerCrashDump('i-1'), (error: unknown) => error instanceof DriverError && /not running/.test(error.message))
  assert.equal(nmis(), 2)
})
