import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import type { TaskContext } from '../../src/agent/manager/manager-context.js'
import { PowerState } from '../../src/virt/virt-driver.js'
import { rebuildInstance } from '../../src/agent/manager/rebuild-instance.js'
import { configDrive, disks, instance, lastBoot, qemuSkip, useQemuWorld, waitForConsole, writeMarker } from './lib/qemu-guests.js'

// Rebuild as the agent does it (rebuild-instance.ts): the root comes back from the new image, with a new config drive.
describe('rebuild on QEMU: a new root from the new image, the old root\'s writes gone', { skip: qemuSkip(), timeout: 5 * 60_000 }, () => {
  const id = 'e2e-rebuild-1'
  const world = useQemuWorld()

  test('a marker written on the root is gone after the rebuild; the guest boots the new image and runs the new user data', async () => {
    const { driver, images, dir } = world
    const first = configDrive(id, 'guest', writeMarker('/dev/vda2', 'lifeboat-marker-before', 'written-before-rebuild'))
    await driver.spawn(instance(id, [disks.imageRoot(images.guest), disks.config()], first))
    const boot1 = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0))
    assert.match(boot1.text, /wrote lifeboat-marker-before on \/dev\/vda2/)
    // The "new image": the same guest under another id, so the overlay's backing file (named by image id) tells which one booted.
    const newImage = path.join(dir, 'guest-v2.qcow2')
    fs.copyFileSync(images.guest, newImage)
    const root = { ...disks.imageRoot(newImage), source: { kind: 'image' as const, imageId: 'lifeboat-guest-v2', imagePath: newImage, format: 'qcow2' as const, sizeGb: 1 } }
    const second = configDrive(id, 'guest', 'echo LB-REBUILT-USERDATA')
    await rebuildInstance({ driver } as unknown as TaskContext, instance(id, [root, disks.config()], second), false, 30)
    const boot2 = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0))  // destroy drops the old console log
    assert.equal(boot2.files.vda2?.['lifeboat-marker'], 'guest-root')
    assert.equal(boot2.files.vda2?.['lifeboat-marker-before'], undefined, 'the old root\'s write survived the rebuild')
    assert.match(boot2.text, /LB-REBUILT-USERDATA/)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.RUNNING)
    const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', path.join(dir, 'qemu/domains', id, 'root.qcow2')], { encoding: 'utf8' }))
    assert.match(info['backing-filename'], /base-images\/lifeboat-guest-v2\.qcow2$/)
  })
})
