import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { LoggerOption } from '../../src/api/app.js'
import { COMPUTE_MICROVERSIONS } from '../../src/api/compute/compute-microversions.js'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { createTempestWorkspace, reportTempestRun, skipWithoutTempest, type TempestWorkspace } from '../helpers/tempest.js'
import { qemuSkip } from '../e2e/lib/qemu-guests.js'
import { buildImages } from '../../src/virt/qemu/guest-image/build-images.js'

const MODULE = 'tempest.api.compute.servers.test_server_rescue'

/** QEMU guests are daemonized: stop whatever a run left behind. */
async function stopLeftoverGuests(cloud: TestCloud): Promise<void> {
  const { QemuDriver } = await import('../../src/virt/qemu/qemu-driver.js')
  const driver = new QemuDriver({ stateDir: path.join(cloud.running.config.dataDir, 'agent', 'qemu'), machineType: 'pc' })
  for (const domain of await driver.listDomains()) await driver.destroy(domain.instanceId)
}
// The trailing `\.` keeps other modules whose names start the same out of the run.
const REGEX = 'tempest\\.api\\.compute\\.servers\\.test_server_rescue\\.'

/** Every test of the module that must pass: all five classes, the 2.87 boot-from-volume one included. */
const MUST_PASS = [
  'ServerBootFromVolumeStableRescueTest.test_stable_device_rescue_bfv_blank_volume',
  'ServerBootFromVolumeStableRescueTest.test_stable_device_rescue_bfv_image_volume',
  'ServerRescueTestJSON.test_rescue_unrescue_instance',
  'ServerRescueTestJSONUnderV235.test_rescued_vm_add_remove_security_group',
  'ServerStableDeviceRescueTest.test_stable_device_rescue_disk_scsi',
  'ServerStableDeviceRescueTest.test_stable_device_rescue_disk_usb',
  'ServerStableDeviceRescueTest.test_stable_device_rescue_disk_virtio',
  'ServerStableDeviceRescueTest.test_stable_device_rescue_disk_virtio_with_volume_attached',
  'ServerStableDeviceRescueTestIDE.test_stable_device_rescue_cdrom_ide',
].map((name) => `${MODULE}.${name}`)

/** The one expected skip: floating IPs need a network service (Neutron) that Lifeboat does not have. */
const EXPECTED_SKIP = `${MODULE}.ServerRescueTestJSONUnderV235.test_rescued_vm_associate_dissociate_floating_ip`

// Once on the fake driver, and once on real QEMU guests (the test guest image as image_ref).

for (const driver of ['fake', 'qemu'] as const) describe(`Tempest on the ${driver} driver: tempest.api.compute.servers.test_server_rescue`, {
  skip: skipWithoutTempest() || (driver === 'qemu' && qemuSkip()),
}, () => {
  let cloud: TestCloud
  let workspace: TempestWorkspace
  let logDir: string
  let passed = false
  before(async () => {
    logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tempest-log-'))
    // Pino's `file` destination: the cloud's own log, kept with Tempest's when the run fails.
    const logger: LoggerOption = { level: 'info', file: path.join(logDir, 'lifeboat.log') }
    if (driver === 'fake') {
      cloud = await startTestCloud('sqlite', {}, { logger })
      workspace = await createTempestWorkspace(cloud, { maxMicroversion: COMPUTE_MICROVERSIONS.max })
    } else {
      const images = await buildImages()
      cloud = await startTestCloud('sqlite', { agent: { driver: 'qemu' }, compute: { shutdownTimeoutSeconds: 10 } }, { logger })
      workspace = await createTempestWorkspace(cloud, {
        maxMicroversion: COMPUTE_MICROVERSIONS.max,
        imageFile: { path: images.guest, diskFormat: 'qcow2' },
        buildTimeout: 300,
      })
    }
  })
  after(async () => {
    if (driver === 'qemu' && cloud) await stopLeftoverGuests(cloud)
    await cloud?.close()
    if (passed) {
      workspace?.remove()
      fs.rmSync(logDir, { recursive: true, force: true })
    }
  })

  test('every class passes; only the floating-IP test is skipped', { timeout: 20 * 60_000 }, async () => {
    const run = await workspace.run(REGEX)
    const failed = reportTempestRun('tempest', run, workspace, logDir)
    assert.deepEqual(failed, [])
    assert.deepEqual(run.tests.filter((t) => t.status === 'SKIPPED').map((t) => t.name), [EXPECTED_SKIP])
    assert.deepEqual(run.tests.filter((t) => t.status === 'ok').map((t) => t.name).sort(), MUST_PASS)
    assert.deepEqual(
      { ran: run.totals.ran, passed: run.totals.passed, skipped: run.totals.skipped, failed: run.totals.failed },
      { ran: MUST_PASS.length + 1, passed: MUST_PASS.length, skipped: 1, failed: 0 },
    )
    assert.equal(run.code, 0)
    passed = true
  })
})
