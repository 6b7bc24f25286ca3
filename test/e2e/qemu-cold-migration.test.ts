import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { PowerState, type InstanceSpec, type RescueSpec } from '../../src/virt/virt-driver.js'
import { configDrive, consoleMark, disks, instance, lastBoot, qemuSkip, qemuWorld, waitForConsole, writeMarker } from './lib/qemu-guests.js'

// Each boot: keep a marker on the root's filesystem (say when it was there already), then say it is up.
const SCRIPT = [
  'mkdir -p /m && mount -t ext4 /dev/vda2 /m && { if [ -e /m/lb-cold ]; then echo "LB-COLD-KEPT $(cat /m/lb-cold)"; else echo marker-1 > /m/lb-cold; echo LB-COLD-WROTE; fi; sync; umount /m; }',
  'echo LB-COLD-UP',
].join('\n')

// Two QEMU hosts as two drivers on separate state folders (the agents' data folders); the disks cross over loopback NBD.
describe('cold migration on QEMU: the stopped guest\'s disks served over NBD and copied to another host', { skip: qemuSkip(), timeout: 6 * 60_000 }, () => {
  const id = 'e2e-cold-1'
  let source: QemuDriver
  let destination: QemuDriver
  let images: BuiltImages
  let destDir = ''
  let spec: InstanceSpec
  let cleanup = async () => undefined as void
  before(async () => {
    ({ driver: source, images, cleanup } = await qemuWorld())
    destDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-qemu-cold-'))
    destination = new QemuDriver({ stateDir: path.join(destDir, 'qemu'), machineType: 'pc', shutdownTimeoutSeconds: 30 })
    await destination.init()
  })
  after(async () => {
    for (const domain of await destination.listDomains()) await destination.destroy(domain.instanceId)
    fs.rmSync(destDir, { recursive: true, force: true })
    await cleanup()
  })

  test('the guest boots on the destination with its root disk\'s marker; confirm drops the source copy', async () => {
    spec = instance(id, [disks.imageRoot(images.guest), disks.config()], configDrive(id, 'guest', SCRIPT))
    await source.spawn(spec)
    await waitForConsole(source, id, /LB-COLD-UP/, 0)
    const served = await source.exportForMigration(spec, '127.0.0.1', { timeoutSeconds: 30 })
    assert.equal((await source.getDomain(id))?.powerState, PowerState.SHUTDOWN, 'the source guest is off while its disks are served')
    await destination.importMigration(spec, served, { powerOn: true })
    await source.releaseMigration(spec, { drop: false, powerOn: false })
    assert.equal((await destination.getDomain(id))?.powerState, PowerState.RUNNING)
    // A new console log on the destination: everything in it is this boot's.
    const boot = await waitForConsole(destination, id, /LB-COLD-(KEPT|WROTE)/, 0)
    assert.match(boot, /LB-COLD-KEPT marker-1/)
    assert.notEqual(await source.getDomain(id), null, 'the source keeps its copy until confirm')
    await source.releaseMigration(spec, { drop: true, powerOn: false })
    assert.equal(await source.getDomain(id), null)
  })

  test('beyond Nova: a rescued guest travels back rescued (root snapshot apart), and unrescue there discards the rescue\'s change', async () => {
    const rescue: RescueSpec = {
      instance: spec, mode: 'stable', rescueDevice: 'disk', rescueBus: 'virtio', snapshotRoot: true,
      rescueImage: { imageId: 'lifeboat-rescue', path: images.rescueDisk, format: 'qcow2', properties: { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' } },
      rescueConfigDrive: configDrive(id, 'rescue', writeMarker('/dev/vda2', 'lifeboat-marker-rescue', 'written-during-rescue')),
    }
    const from = await consoleMark(destination, id)
    await destination.rescue(rescue, { timeoutSeconds: 30 })
    await waitForConsole(destination, id, /LB-MARKER-DONE role=rescue/, from)
    const served = await destination.exportForMigration(spec, '127.0.0.1', { timeoutSeconds: 30 })
    await source.importMigration(spec, served, { powerOn: true })
    await destination.releaseMigration(spec, { drop: true, powerOn: false })
    // The rescue system boots on the new host: the original root at vda (with the rescue's write), the rescue disk after it.
    const arrived = lastBoot(await waitForConsole(source, id, /LB-MARKER-DONE role=rescue/, 0))
    assert.equal(arrived.files.vda2?.['lifeboat-marker-rescue'], 'written-during-rescue')
    assert.equal(arrived.labels.vdb1 ?? arrived.labels.vdc1, 'LBRESCUE')
    assert.equal((await source.getDomain(id))?.rescued, true)
    const mark = await consoleMark(source, id)
    await source.unrescue(spec, { discardChanges: true, timeoutSeconds: 30 })
    const text = await waitForConsole(source, id, /LB-COLD-(KEPT|WROTE)[\s\S]*LB-MARKER-DONE role=guest|LB-MARKER-DONE role=guest[\s\S]*LB-COLD-(KEPT|WROTE)/, mark)
    assert.match(text, /LB-COLD-KEPT marker-1/)
    assert.equal(lastBoot(text).files.vda2?.['lifeboat-marker-rescue'], undefined, 'the snapshot taken at rescue travelled: discard restores it')
    assert.equal((await source.getDomain(id))?.rescued, false)
  })
})
