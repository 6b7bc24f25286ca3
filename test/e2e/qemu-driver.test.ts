import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { planDomainLayout } from '../../src/virt/disk-layout.js'
import { PowerState, type InstanceSpec, type RescueSpec } from '../../src/virt/virt-driver.js'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import {
  configDrive, consoleMark, disks, instance, lastBoot, makeVolume, qemuSkip, qemuWorld, waitForConsole, writeMarker,
} from './lib/qemu-guests.js'

// One image-backed guest with a data volume goes through its whole life, one boot at a time (TCG, 2 cores).
describe('QemuDriver with a real guest (image-backed root, data volume, config drive)', { skip: qemuSkip(), timeout: 6 * 60_000 }, () => {
  const id = 'e2e-guest-1'
  let driver: QemuDriver
  let images: BuiltImages
  let dir: string
  let spec: InstanceSpec
  let volumeFile: string

  const rescueSpec = (mode: 'stable' | 'legacy', snapshotRoot: boolean, rescueScript: string | null): RescueSpec => ({
    instance: spec, mode, rescueDevice: 'disk', rescueBus: 'virtio', snapshotRoot,
    rescueImage: { imageId: 'lifeboat-rescue', path: images.rescueDisk, format: 'qcow2', properties: mode === 'stable' ? { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' } : {} },
    rescueConfigDrive: rescueScript === null ? null : configDrive(id, 'rescue', rescueScript),
  })

  let cleanup = async () => undefined as void
  before(async () => {
    ({ driver, images, dir, cleanup } = await qemuWorld())
  })
  after(() => cleanup())

  test('spawn boots the guest from an overlay of the image; its user_data writes markers to the root and the volume', async () => {
    volumeFile = makeVolume(dir, 'vol-1', 'data-volume-vol-1')
    const script = [writeMarker('/dev/vda2', 'lifeboat-marker-userdata', 'root-written-by-guest'), writeMarker('/dev/vdb', 'lifeboat-marker-userdata', 'volume-written-by-guest')].join('\n')
    spec = instance(id, [disks.imageRoot(images.guest), disks.volume('vol-1', volumeFile, 'raw'), disks.config()], configDrive(id, 'guest', script))
    await driver.spawn(spec)
    const boot = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0))
    assert.equal(boot.role, 'guest')
    assert.deepEqual(boot.disks, ['sr0', 'vda', 'vdb'])
    assert.equal(boot.files.vda2?.['lifeboat-marker'], 'guest-root')
    assert.equal(boot.files.vdb?.['lifeboat-marker'], 'data-volume-vol-1')
    assert.match(boot.text, /wrote lifeboat-marker-userdata on \/dev\/vda2/)
    assert.match(boot.text, /LB-USERDATA rc=0/)
    const domain = await driver.getDomain(id)
    assert.equal(domain?.powerState, PowerState.RUNNING)
    const planned = planDomainLayout(spec.disks, 'pc', () => '')
    assert.deepEqual(domain?.layout.devices.map((d) => [d.name, d.address, d.guestName]), planned.devices.map((d) => [d.name, d.address, d.guestName]))
    const root = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', path.join(dir, 'qemu/domains', id, 'root.qcow2')], { encoding: 'utf8' }))
    assert.match(root['backing-filename'], /^\/.*base-images\/lifeboat-guest\.qcow2$/)
  })

  test('powerOff presses the ACPI button and the guest shuts itself down cleanly', async () => {
    const from = await consoleMark(driver, id)
    await driver.powerOff(id, { timeoutSeconds: 30 })
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.SHUTDOWN)
    assert.match(await waitForConsole(driver, id, /LB-POWERDOWN role=guest/, from, 5000), /LB-POWERDOWN role=guest/)
  })

  test('stable rescue over virtio boots the RESCUE image with the root at vda, the volume at vdb and the rescue disk last', async (t) => {
    const from = await consoleMark(driver, id)
    const started = performance.now()
    await driver.rescue(rescueSpec('stable', true, writeMarker('/dev/vda2', 'lifeboat-marker-rescue', 'written-during-rescue')), { timeoutSeconds: 30 })
    const firstLine = await waitForConsole(driver, id, /\S/, from).then(() => Math.round(performance.now() - started))
    const booted = await waitForConsole(driver, id, /LB-MARKER-BOOTED role=rescue/, from).then(() => Math.round(performance.now() - started))
    t.diagnostic(`rescue steps (ms): ${JSON.stringify(driver.lastTimings(id)?.steps)}; first console line after ${firstLine} ms, rescue init after ${booted} ms`)
    const boot = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=rescue/, from))
    assert.equal(boot.role, 'rescue')
    assert.deepEqual(boot.disks, ['sr0', 'vda', 'vdb', 'vdc'])
    assert.equal(boot.files.vda2?.['lifeboat-marker'], 'guest-root')
    assert.equal(boot.files.vda2?.['lifeboat-marker-userdata'], 'root-written-by-guest')
    assert.equal(boot.files.vdb?.['lifeboat-marker'], 'data-volume-vol-1')
    assert.equal(boot.files.vdb?.['lifeboat-marker-userdata'], 'volume-written-by-guest')
    assert.equal(boot.labels.vdc1, 'LBRESCUE')
    assert.equal(boot.files.vdc1?.['lifeboat-marker'], 'rescue-disk')
    assert.match(boot.text, /wrote lifeboat-marker-rescue on \/dev\/vda2/)
    const domain = await driver.getDomain(id)
    assert.equal(domain?.rescued, true)
    assert.equal(domain?.powerState, PowerState.RUNNING)
    assert.deepEqual(domain?.layout.devices.map((d) => [d.name, d.address, d.bootIndex]), [['root', 'pci:0x04', null], ['volume-vol-1', 'pci:0x05', null], ['config', 'ide:0:0', null], ['rescue', 'pci:0x06', 0]])
  })

  test('unrescue boots the original again, its data intact and the change made during the rescue kept', async () => {
    const from = await consoleMark(driver, id)
    await driver.unrescue(spec, { discardChanges: false, timeoutSeconds: 30 })
    const text = await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, from)
    assert.match(text, /LB-POWERDOWN role=rescue/, 'the rescue environment was shut down cleanly')
    const boot = lastBoot(text)
    assert.deepEqual(boot.disks, ['sr0', 'vda', 'vdb'])
    assert.equal(boot.files.vda2?.['lifeboat-marker-userdata'], 'root-written-by-guest')
    assert.equal(boot.files.vda2?.['lifeboat-marker-rescue'], 'written-during-rescue')
    assert.equal(boot.files.vdb?.['lifeboat-marker-userdata'], 'volume-written-by-guest')
    assert.equal((await driver.getDomain(id))?.rescued, false)
    assert.equal(fs.existsSync(path.join(dir, 'qemu/domains', id, 'rescue.qcow2')), false, 'the throwaway rescue overlay is gone')
    assert.equal(fs.existsSync(path.join(dir, 'qemu/domains', id, 'rescue-root-overlay.qcow2')), false)
  })

  test('legacy rescue puts the rescue disk first and the original root second, without the volume', async () => {
    const from = await consoleMark(driver, id)
    await driver.rescue(rescueSpec('legacy', false, null), { timeoutSeconds: 30 })
    const boot = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=rescue/, from))
    assert.deepEqual(boot.disks, ['sr0', 'vda', 'vdb'])
    assert.equal(boot.labels.vda1, 'LBRESCUE')
    assert.equal(boot.files.vdb2?.['lifeboat-marker'], 'guest-root')
    assert.ok(!Object.values(boot.labels).includes('lbvol'), 'no volume in a legacy rescue')
    const from2 = await consoleMark(driver, id)
    await driver.unrescue(spec, { discardChanges: false, timeoutSeconds: 30 })
    assert.equal(lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, from2)).files.vdb?.['lifeboat-marker'], 'data-volume-vol-1')
  })

  test('console output gives the last lines of the serial log', async () => {
    const lines = (await driver.getConsoleOutput(id, 3)).split('\n')
    assert.equal(lines.length, 3)
    assert.equal(lines.at(-1), 'LB-MARKER-DONE role=guest')
    assert.ok((await driver.getConsoleOutput(id)).includes('LB-MARKER-BOOTED role=rescue'), 'the log spans the rescue too')
  })

  test('a new driver on the same state folder (agent restarted) finds the running guest and controls it', async () => {
    const restarted = new QemuDriver({ stateDir: path.join(dir, 'qemu'), machineType: 'pc' })
    await restarted.init()
    const domains = await restarted.listDomains()
    assert.deepEqual(domains.map((d) => [d.instanceId, d.powerState, d.rescued]), [[id, PowerState.RUNNING, false]])
    await restarted.pause(id)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.PAUSED)
    await restarted.unpause(id)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.RUNNING)
  })

  test('suspend saves the guest state and stops QEMU; resume brings the same guest back', async () => {
    const before = await consoleMark(driver, id)
    await driver.suspend(id)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.SUSPENDED)
    await driver.resume(spec)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.RUNNING)
    // The resumed guest did not boot again, and its running init still answers the power button.
    await driver.powerOff(id, { timeoutSeconds: 30 })
    const after = await waitForConsole(driver, id, /LB-POWERDOWN role=guest/, before, 10_000)
    assert.doesNotMatch(after, /LB-MARKER-BOOTED/)
  })

  test('a hard reboot boots again; a snapshot of the running guest is a flat qcow2', async () => {
    await driver.powerOn(spec)
    const from = await consoleMark(driver, id)
    await driver.reboot(spec, 'HARD', { timeoutSeconds: 30 })
    await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, from)
    const target = path.join(dir, 'snapshot.qcow2')
    await driver.snapshot(id, { path: target, format: 'qcow2' })
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', target], { encoding: 'utf8' }))
    assert.equal(info.format, 'qcow2')
    assert.equal(info['backing-filename'], undefined)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.RUNNING, 'the guest runs on after the snapshot')
  })

  test('a volume attached to the running guest appears at its planned address and goes again on detach', async () => {
    const extra = makeVolume(dir, 'vol-2', 'data-volume-vol-2', 'qcow2')
    const disk = disks.volume('vol-2', extra, 'qcow2', '/dev/vdc')
    const withExtra = { ...spec, disks: [...spec.disks, disk] }
    await driver.attachVolume(withExtra, disk)
    let device = (await driver.getDomain(id))?.layout.devices.find((d) => d.name === 'volume-vol-2')
    assert.equal(device?.address, planDomainLayout(withExtra.disks, 'pc', () => '').devices.at(-1)!.address)
    await driver.detachVolume(spec, 'volume-vol-2')
    device = (await driver.getDomain(id))?.layout.devices.find((d) => d.name === 'volume-vol-2')
    assert.equal(device, undefined)
  })

  test('a volume detached while the guest is still booting goes once the guest has booted (the unplug request is repeated, as Nova does)', async () => {
    const from = await consoleMark(driver, id)
    await driver.reboot(spec, 'HARD', { timeoutSeconds: 30 })
    const withoutVolume = { ...spec, disks: spec.disks.filter((d) => d.name !== 'volume-vol-1') }
    await driver.detachVolume(withoutVolume, 'volume-vol-1')
    assert.match((await driver.getConsoleOutput(id)).split('\n').slice(from).join('\n'), /LB-MARKER-BOOTED role=guest/, 'the guest had to boot to release the disk')
    assert.equal((await driver.getDomain(id))?.layout.devices.find((d) => d.name === 'volume-vol-1'), undefined)
    spec = withoutVolume
  })

  test('a paused guest cannot hear the power button: powerOff stops it hard at once', async () => {
    await driver.pause(id)
    const from = await consoleMark(driver, id)
    await driver.powerOff(id, { timeoutSeconds: 30 })
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.SHUTDOWN)
    assert.doesNotMatch((await driver.getConsoleOutput(id)).split('\n').slice(from).join('\n'), /LB-POWERDOWN/, 'stopped hard, not through the guest')
  })

  test('destroy stops QEMU and removes local disks but never the volume', async () => {
    await driver.destroy(id)
    assert.equal(await driver.getDomain(id), null)
    assert.equal(fs.existsSync(path.join(dir, 'qemu/domains', id)), false)
    assert.ok(fs.existsSync(volumeFile))
  })
})
