import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import type { TaskContext } from '../../src/agent/manager/manager-context.js'
import type { AgentTask } from '../../src/agent-api/index.js'
import { PowerState } from '../../src/virt/virt-driver.js'
import { shelveInstance, unshelveInstance } from '../../src/agent/manager/shelve-instance.js'
import { configDrive, disks, instance, lastBoot, qemuSkip, useQemuWorld, waitForConsole, writeMarker } from './lib/qemu-guests.js'

// Shelve and unshelve as the agent does them (shelve-instance.ts): the root goes into an image, the domain goes, the root comes back from that image.
describe('shelve and unshelve on QEMU: the root disk\'s data survives the offload', { skip: qemuSkip(), timeout: 5 * 60_000 }, () => {
  const id = 'e2e-shelve-1'
  const world = useQemuWorld()

  test('a marker written on the root is there after shelve (offloaded at once) and unshelve from the shelve image', async () => {
    const { driver, images, dir } = world
    const first = configDrive(id, 'guest', writeMarker('/dev/vda2', 'lifeboat-marker-shelve', 'written-before-shelve'))
    await driver.spawn(instance(id, [disks.imageRoot(images.guest), disks.config()], first))
    const boot1 = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0))
    assert.match(boot1.text, /wrote lifeboat-marker-shelve on \/dev\/vda2/)
    // The image service, as the agent API client sees it: an upload lands in a file.
    const shelveImage = path.join(dir, 'shelved.qcow2')
    const api = { uploadImage: async (_imageId: string, source: string) => fs.copyFileSync(source, shelveImage) }
    const ctx = { driver, api, workDir: path.join(dir, 'work') } as unknown as TaskContext
    const task = { id: 'task-shelve', instanceUuid: id, shutdownTimeoutSeconds: 30 } as AgentTask
    await shelveInstance(ctx, task, { imageId: 'lifeboat-shelved', offload: true })
    assert.equal(await driver.getDomain(id), null, 'offloaded: no domain left')
    assert.ok(!fs.existsSync(path.join(dir, 'qemu/domains', id)), 'offloaded: no disks left')
    assert.ok(fs.statSync(shelveImage).size > 0)

    const root = { ...disks.imageRoot(shelveImage), source: { kind: 'image' as const, imageId: 'lifeboat-shelved', imagePath: shelveImage, format: 'qcow2' as const, sizeGb: 1 } }
    await unshelveInstance(ctx, instance(id, [root, disks.config()], configDrive(id, 'guest', 'echo LB-UNSHELVED')), true)
    const boot2 = lastBoot(await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0))
    assert.equal(boot2.files.vda2?.['lifeboat-marker-shelve'], 'written-before-shelve', 'the root\'s write survived shelve and unshelve')
    assert.match(boot2.text, /LB-UNSHELVED/)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.RUNNING)
  })
})
