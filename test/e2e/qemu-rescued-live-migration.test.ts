import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { PowerState, type InstanceSpec, type RescueSpec } from '../../src/virt/virt-driver.js'
import { configDrive, disks, instance, lastBoot, qemuSkip, qemuWorld, waitForConsole, writeMarker } from './lib/qemu-guests.js'

// The rescue system writes its marker on the guest's root (into the pre-rescue snapshot's overlay), then says it is alive every second.
const RESCUE_SCRIPT = [
  writeMarker('/dev/vda2', 'lifeboat-marker-rescue', 'written-during-rescue'),
  '( i=0; while true; do i=$((i+1)); echo "LB-RESCUE-ALIVE $i"; sleep 1; done ) &',
].join('\n')

// Beyond Nova: a rescued guest live-migrates between two QEMU hosts (two drivers on separate state folders, streams over loopback).
describe('live migration of a rescued guest on QEMU: it arrives rescued, and unrescue there boots the original', { skip: qemuSkip(), timeout: 6 * 60_000 }, () => {
  const id = 'e2e-rescued-live-1'
  let source: QemuDriver
  let destination: QemuDriver
  let images: BuiltImages
  let spec: InstanceSpec
  let destDir = ''
  let cleanup = async () => undefined as void
  before(async () => {
    ({ driver: source, images, cleanup } = await qemuWorld())
    destDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-qemu-rescued-dest-'))
    destination = new QemuDriver({ stateDir: path.join(destDir, 'qemu'), machineType: 'pc', shutdownTimeoutSeconds: 30 })
    await destination.init()
  })
  after(async () => {
    for (const domain of await destination.listDomains()) await destination.destroy(domain.instanceId)
    fs.rmSync(destDir, { recursive: true, force: true })
    await cleanup()
  })

  test('rescued on the source, migrated live: the rescue system goes on on the destination; unrescue there boots the original with both markers', async () => {
    spec = instance(id, [disks.imageRoot(images.guest), disks.config()], configDrive(id, 'guest', writeMarker('/dev/vda2', 'lifeboat-marker-userdata', 'root-written-by-guest')))
    await source.spawn(spec)
    await waitForConsole(source, id, /LB-MARKER-DONE role=guest/, 0)
    const rescue: RescueSpec = {
      instance: spec, mode: 'stable', rescueDevice: 'disk', rescueBus: 'virtio', snapshotRoot: true,
      rescueImage: { imageId: 'lifeboat-rescue', path: images.rescueDisk, format: 'qcow2', properties: { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' } },
      rescueConfigDrive: configDrive(id, 'rescue', RESCUE_SCRIPT),
    }
    const from = (await source.getConsoleOutput(id)).split('\n').length
    await source.rescue(rescue, { timeoutSeconds: 30 })
    await waitForConsole(source, id, /LB-RESCUE-ALIVE 2\b/, from)

    const incoming = await destination.prepareIncomingMigration(spec, '127.0.0.1', rescue)
    const stats = await source.migrateLive(spec, incoming)
    await destination.finishIncomingMigration(id, { paused: false })
    console.log(`rescued live migration: total ${stats.totalMs} ms, guest paused ${stats.downtimeMs ?? '?'} ms`)
    assert.equal((await source.getDomain(id))?.powerState, PowerState.SHUTDOWN, 'the source QEMU quit')
    const arrived = await destination.getDomain(id)
    assert.equal(arrived?.rescued, true)
    assert.equal(arrived?.powerState, PowerState.RUNNING)
    assert.deepEqual(arrived?.layout.devices.map((d) => [d.name, d.address, d.bootIndex]), [['root', 'pci:0x04', null], ['config', 'ide:0:0', null], ['rescue', 'pci:0x05', 0]])
    // The rescue system's console on the destination: the same rescue goes on counting (no new boot there).
    const console_ = await waitForConsole(destination, id, /LB-RESCUE-ALIVE \d+[\s\S]*LB-RESCUE-ALIVE \d+/, 0)
    assert.doesNotMatch(console_, /LB-MARKER-BOOTED/, 'the same rescue continued')
    console.log(`the rescue's console on the destination:\n${console_.trim().split('\n').slice(-3).join('\n')}`)

    // Unrescue on the destination keeps the rescue's change: the root there has the guest's marker (the pre-rescue layer) and the rescue's (the top).
    const mark = (await destination.getConsoleOutput(id)).split('\n').length
    await destination.unrescue(spec, { discardChanges: false, timeoutSeconds: 30 })
    const boot = lastBoot(await waitForConsole(destination, id, /LB-MARKER-DONE role=guest/, mark))
    assert.equal(boot.files.vda2?.['lifeboat-marker'], 'guest-root')
    assert.equal(boot.files.vda2?.['lifeboat-marker-userdata'], 'root-written-by-guest')
    assert.equal(boot.files.vda2?.['lifeboat-marker-rescue'], 'written-during-rescue')
    assert.equal((await destination.getDomain(id))?.rescued, false)
  })
})
