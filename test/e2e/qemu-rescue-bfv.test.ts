import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import type { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { PowerState, type InstanceSpec, type RescueSpec } from '../../src/virt/virt-driver.js'
import {
  configDrive, consoleMark, disks, instance, lastBoot, makeVolume, qemuSkip, qemuWorld, waitForConsole, writeMarker,
} from './lib/qemu-guests.js'

// A boot-from-volume guest: the root is a volume file of the volume service, never copied or moved.
describe('QemuDriver rescue of a volume-backed guest (BFV), rescue ISO as a SCSI cdrom', { skip: qemuSkip(), timeout: 4 * 60_000 }, () => {
  const id = 'e2e-bfv-1'
  let driver: QemuDriver
  let images: BuiltImages
  let dir: string
  let spec: InstanceSpec
  let rootVolume: string
  let cleanup = async () => undefined as void

  before(async () => {
    ({ driver, images, dir, cleanup } = await qemuWorld())
  })
  after(() => cleanup())

  const rescueSpec = (): RescueSpec => ({
    instance: spec, mode: 'stable', rescueDevice: 'cdrom', rescueBus: 'scsi', snapshotRoot: true,
    rescueImage: { imageId: 'lifeboat-rescue-iso', path: images.rescueIso, format: 'raw', properties: { hw_rescue_device: 'cdrom', hw_rescue_bus: 'scsi' } },
    rescueConfigDrive: configDrive(id, 'rescue', writeMarker('/dev/vda2', 'lifeboat-marker-rescue', 'written-during-rescue')),
  })

  test('the guest boots from its root volume', async () => {
    rootVolume = path.join(dir, 'root-volume.raw')
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', images.guest, rootVolume])
    const data = makeVolume(dir, 'vol-data', 'data-volume-bfv', 'qcow2')
    spec = instance(id, [disks.volumeRoot('vol-root', rootVolume, 'raw'), disks.volume('vol-data', data, 'qcow2'), disks.config()], configDrive(id, 'guest', 'true'))
    await driver.spawn(spec)
    const boot = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0))
    assert.equal(boot.files.vda2?.['lifeboat-marker'], 'guest-root')
    assert.equal(boot.files.vdb?.['lifeboat-marker'], 'data-volume-bfv')
  })

  test('rescue boots the ISO as a SCSI cdrom with the root volume kept at vda and the data volume at vdb', async () => {
    const from = await consoleMark(driver, id)
    await driver.rescue(rescueSpec(), { timeoutSeconds: 30 })
    const text = await waitForConsole(driver, id, /LB-MARKER-DONE role=rescue/, from, 120_000)
    assert.match(text, /LB-POWERDOWN role=guest/, 'the guest was shut down cleanly first')
    const boot = lastBoot(text)
    assert.deepEqual(boot.disks.filter((d) => d.startsWith('vd')), ['vda', 'vdb'])
    assert.equal(boot.files.vda2?.['lifeboat-marker'], 'guest-root')
    assert.equal(boot.files.vdb?.['lifeboat-marker'], 'data-volume-bfv')
    // Two cdroms: the config drive (IDE) and the rescue ISO (SCSI). Which is sr0 is the guest's probe order, so find it by label.
    const cdroms = Object.fromEntries(Object.entries(boot.labels).filter(([dev]) => dev.startsWith('sr')).map(([dev, label]) => [label, dev]))
    assert.deepEqual(Object.keys(cdroms).sort(), ['LBRESCUE', 'config-2'])
    assert.equal(boot.files[cdroms.LBRESCUE!]?.['lifeboat-marker'], 'rescue-iso')
    assert.match(boot.text, /wrote lifeboat-marker-rescue on \/dev\/vda2/)
    assert.deepEqual((await driver.getDomain(id))?.layout.devices.at(-1), {
      name: 'rescue', role: 'rescue', deviceType: 'cdrom', bus: 'scsi', address: 'scsi0:0:0', bootIndex: 0, guestName: 'sr1',
      source: path.join(dir, 'qemu/domains', id, 'rescue.qcow2'), readOnly: true,
    })
  })

  test('unrescue with discardChanges restores the root volume as it was before the rescue', async () => {
    const from = await consoleMark(driver, id)
    await driver.unrescue(spec, { discardChanges: true, timeoutSeconds: 30 })
    const boot = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, from))
    assert.equal(boot.files.vda2?.['lifeboat-marker'], 'guest-root')
    assert.equal(boot.files.vda2?.['lifeboat-marker-rescue'], undefined, 'the change made during the rescue is gone')
    const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', rootVolume], { encoding: 'utf8' }))
    assert.equal(info.format, 'raw', 'the root volume is still the volume service\'s own file')
  })

  test('a QEMU that died (host reboot) is reported SHUTDOWN and boots again on power on', async () => {
    const pid = Number(fs.readFileSync(path.join(dir, 'qemu/domains', id, 'qemu.pid'), 'utf8'))
    process.kill(pid, 'SIGKILL')
    for (let i = 0; i < 50 && (await driver.getDomain(id))?.powerState !== PowerState.SHUTDOWN; i++) await new Promise((r) => setTimeout(r, 100))
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.SHUTDOWN)
    const from = await consoleMark(driver, id)
    await driver.powerOn(spec)
    await waitForConsole(driver, id, /LB-MARKER-BOOTED role=guest/, from)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.RUNNING)
  })
})
