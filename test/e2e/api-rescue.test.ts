import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Session, TestCloud } from '../helpers/cloud.js'
import { action, consoleOutput, uploadImageFile, waitForStatus, waitForVolumeStatus } from '../helpers/compute.js'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { lastBoot, makeVolume, qemuSkip, writeMarker } from './lib/qemu-guests.js'
import { closeQemuCloud, startQemuCloud } from './lib/qemu-cloud.js'
import { waitUntil } from '../helpers/wait-until.js'

const BOOT_MS = 120_000

/** Waits until the console shows `pattern` after the first `fromLength` characters; returns that part. */
async function waitForConsole(session: Session, id: string, pattern: RegExp, fromLength: number): Promise<string> {
  let text = ''
  return waitUntil(async () => {
    text = (await consoleOutput(session, id)).slice(fromLength)
    return pattern.test(text) ? text : undefined
  }, { timeoutMs: BOOT_MS, intervalMs: 500, what: () => `console of ${id} did not show ${pattern}:\n${text}` })
}

const userData = (script: string) => Buffer.from(`#!/bin/sh\n${script}\n`).toString('base64')

describe('rescue of real QEMU guests through the API', { skip: qemuSkip(), timeout: 15 * 60_000 }, () => {
  let cloud: TestCloud
  let images: BuiltImages
  let dir: string
  let guestImage: string
  let stableRescue: string
  let legacyRescue: string
  let dataImage: string

  before(async () => {
    ({ cloud, images, guestImage, rescueImage: stableRescue } = await startQemuCloud())
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-api-'))
    legacyRescue = await uploadImageFile(cloud.admin, images.rescueDisk, 'lifeboat-rescue-legacy')
    dataImage = await uploadImageFile(cloud.admin, makeVolume(dir, 'data', 'data-volume-marker'), 'data-disk', {}, 'raw')
  })
  after(async () => {
    await closeQemuCloud(cloud)
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  test('image-backed: the guest writes a marker; stable rescue boots the rescue image with the root still at vda; unrescue boots the original with its data', async () => {
    const demo = cloud.demo
    const created = await demo.request('POST', '/compute/v2.1/servers', {
      body: { server: { name: 'real-1', imageRef: guestImage, flavorRef: '42', user_data: userData(writeMarker('/dev/vda2', 'lifeboat-marker-userdata', 'root-written-by-guest')) } },
    })
    assert.equal(created.status, 202, created.text)
    const id = created.body.server.id
    await waitForStatus(demo, id, 'ACTIVE', { timeoutMs: BOOT_MS })
    const first = lastBoot(await waitForConsole(demo, id, /LB-MARKER-DONE role=guest/, 0))
    assert.equal(first.role, 'guest')
    assert.match(first.text, /wrote lifeboat-marker-userdata on \/dev\/vda2/)

    let mark = (await consoleOutput(demo, id)).length
    assert.equal((await action(demo, id, { rescue: { rescue_image_ref: stableRescue } })).status, 200)
    await waitForStatus(demo, id, 'RESCUE', { timeoutMs: BOOT_MS })
    const rescue = lastBoot(await waitForConsole(demo, id, /LB-MARKER-DONE role=rescue/, mark))
    assert.equal(rescue.role, 'rescue')
    assert.ok(rescue.disks.includes('vda') && rescue.disks.includes('vdb'), rescue.disks.join(','))
    assert.equal(rescue.files.vda2?.['lifeboat-marker-userdata'], 'root-written-by-guest', 'the original root is still vda')
    assert.equal(rescue.disks.filter((d) => d.startsWith('vd')).at(-1), 'vdb', 'the rescue disk comes last')

    mark = (await consoleOutput(demo, id)).length
    assert.equal((await action(demo, id, { unrescue: null })).status, 202)
    await waitForStatus(demo, id, 'ACTIVE', { timeoutMs: BOOT_MS })
    const back = lastBoot(await waitForConsole(demo, id, /LB-MARKER-DONE role=guest/, mark))
    assert.equal(back.files.vda2?.['lifeboat-marker-userdata'], 'root-written-by-guest')

    mark = (await consoleOutput(demo, id)).length
    assert.equal((await action(demo, id, { rescue: { rescue_image_ref: legacyRescue } })).status, 200)
    await waitForStatus(demo, id, 'RESCUE', { timeoutMs: BOOT_MS })
    const legacy = lastBoot(await waitForConsole(demo, id, /LB-MARKER-DONE role=rescue/, mark))
    assert.equal(legacy.files.vdb2?.['lifeboat-marker-userdata'], 'root-written-by-guest', 'legacy: the original root is second')
    assert.notEqual(legacy.files.vda2?.['lifeboat-marker-userdata'], 'root-written-by-guest')
    await action(demo, id, { unrescue: null })
    await waitForStatus(demo, id, 'ACTIVE', { timeoutMs: BOOT_MS })

    assert.equal((await action(demo, id, { 'os-stop': null })).status, 202)
    const stopped = await waitForStatus(demo, id, 'SHUTOFF', { timeoutMs: BOOT_MS })
    assert.equal(stopped['OS-EXT-STS:power_state'], 4)
    const actions = await demo.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions`)
    assert.deepEqual(actions.body.instanceActions.map((a: { action: string }) => a.action), ['stop', 'unrescue', 'rescue', 'unrescue', 'rescue', 'create'])
    assert.equal((await demo.request('DELETE', `/compute/v2.1/servers/${id}`)).status, 204)
  })

  test('boot from volume with a data volume: refused below 2.87; at 2.87 the rescue sees the root volume at vda and the data volume at vdb', async () => {
    const demo = cloud.demo
    const data = await demo.request('POST', `/volume/v3/${demo.projectId}/volumes`, { body: { volume: { size: 1, imageRef: dataImage, name: 'data' } } })
    assert.equal(data.status, 202, data.text)
    await waitForVolumeStatus(demo, data.body.volume.id, 'available', 60_000)
    const created = await demo.request('POST', '/compute/v2.1/servers', {
      microversion: '2.87',
      body: {
        server: {
          name: 'real-bfv', flavorRef: '42', networks: 'none',
          user_data: userData(writeMarker('/dev/vda2', 'lifeboat-marker-userdata', 'bfv-root-written')),
          block_device_mapping_v2: [
            { boot_index: 0, source_type: 'image', uuid: guestImage, destination_type: 'volume', volume_size: 1, delete_on_termination: true },
            { boot_index: -1, source_type: 'volume', uuid: data.body.volume.id, destination_type: 'volume' },
          ],
        },
      },
    })
    assert.equal(created.status, 202, created.text)
    const id = created.body.server.id
    await waitForStatus(demo, id, 'ACTIVE', { microversion: '2.87', timeoutMs: BOOT_MS })
    const first = lastBoot(await waitForConsole(demo, id, /LB-MARKER-DONE role=guest/, 0))
    assert.match(first.text, /wrote lifeboat-marker-userdata on \/dev\/vda2/)

    const refused = await action(demo, id, { rescue: { rescue_image_ref: stableRescue } }, '2.86')
    assert.equal(refused.status, 400)
    assert.match(refused.body.badRequest.message, /--os-compute-api-version 2\.87/)

    const mark = (await consoleOutput(demo, id)).length
    assert.equal((await action(demo, id, { rescue: { rescue_image_ref: stableRescue } }, '2.87')).status, 200)
    await waitForStatus(demo, id, 'RESCUE', { microversion: '2.87', timeoutMs: BOOT_MS })
    const rescue = lastBoot(await waitForConsole(demo, id, /LB-MARKER-DONE role=rescue/, mark))
    assert.equal(rescue.files.vda2?.['lifeboat-marker-userdata'], 'bfv-root-written', 'the root volume is still vda')
    assert.equal(rescue.files.vdb?.['lifeboat-marker'], 'data-volume-marker', 'the data volume is still vdb')
    assert.equal(rescue.disks.filter((d) => d.startsWith('vd')).at(-1), 'vdc', 'the rescue disk comes last')
    await action(demo, id, { unrescue: null }, '2.87')
    await waitForStatus(demo, id, 'ACTIVE', { microversion: '2.87', timeoutMs: BOOT_MS })
    assert.equal((await demo.request('DELETE', `/compute/v2.1/servers/${id}`)).status, 204)
  })
})
