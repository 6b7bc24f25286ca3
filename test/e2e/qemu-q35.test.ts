import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import type { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { PowerState, type InstanceSpec } from '../../src/virt/virt-driver.js'
import { configDrive, consoleMark, disks, genericKernelSkip, instance, lastBoot, makeVolume, qemuWorld, waitForConsole } from './lib/qemu-guests.js'

// q35: no IDE (the config drive's "ide" is the ICH9 AHCI), and a rescue disk on USB needs the generic kernel to be seen.
describe('QemuDriver on q35: soft reboot, rescue disk on USB', { skip: genericKernelSkip(), timeout: 4 * 60_000 }, () => {
  const id = 'e2e-q35-1'
  let driver: QemuDriver
  let images: BuiltImages
  let dir: string
  let spec: InstanceSpec
  let cleanup = async () => undefined as void

  before(async () => {
    ({ driver, images, dir, cleanup } = await qemuWorld('q35'))
  })
  after(() => cleanup())

  test('the guest boots on q35 with its config drive on the AHCI controller, and a soft reboot goes through the power button', async () => {
    const volume = makeVolume(dir, 'vol-q', 'data-volume-q35')
    spec = instance(id, [disks.imageRoot(images.guest), disks.volume('vol-q', volume, 'raw'), disks.config()], configDrive(id, 'guest', 'true'))
    await driver.spawn(spec)
    await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0)
    assert.equal((await driver.getDomain(id))?.layout.devices.find((d) => d.name === 'config')?.address, 'sata0:0')
    const from = await consoleMark(driver, id)
    await driver.reboot(spec, 'SOFT', { timeoutSeconds: 30 })
    const text = await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, from)
    assert.match(text, /LB-POWERDOWN role=guest[\s\S]*LB-MARKER-BOOTED role=guest/)
  })

  test('stable rescue on USB boots the rescue disk, seen as a SCSI disk, with vda and vdb kept', async () => {
    const from = await consoleMark(driver, id)
    await driver.rescue({
      instance: spec, mode: 'stable', rescueDevice: 'disk', rescueBus: 'usb', snapshotRoot: false, rescueConfigDrive: null,
      rescueImage: { imageId: 'lifeboat-rescue-all-buses', path: images.rescueDiskAllBuses, format: 'qcow2', properties: { hw_rescue_device: 'disk', hw_rescue_bus: 'usb' } },
    }, { timeoutSeconds: 30 })
    const boot = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=rescue/, from, 120_000))
    assert.deepEqual(boot.disks.filter((d) => d.startsWith('vd')), ['vda', 'vdb'])
    assert.equal(boot.files.vda2?.['lifeboat-marker'], 'guest-root')
    assert.equal(boot.files.vdb?.['lifeboat-marker'], 'data-volume-q35')
    assert.equal(boot.labels.sda1, 'LBRESCUE')
    assert.match(boot.text, /LB-DISK sda .*usb/)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.RUNNING)
  })
})
