import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'
import { createImage, makeQcow2 } from '../functional/volume/volume-helpers.js'
import { waitUntil } from '../helpers/wait-until.js'

describe('openstack CLI: volume', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  before(async () => {
    cloud = await startTestCloud('sqlite')
  })
  after(async () => {
    await cloud?.running.services.volumes.idle()
    await cloud?.close()
  })

  /** `openstack volume show` until the status is one of `statuses`. */
  async function showUntil(name: string, statuses: string[]): Promise<any> {
    let shown: any
    return waitUntil(async () => {
      shown = await openstackJson(cloud, 'lifeboat-demo', ['volume', 'show', name])
      return statuses.includes(shown.status) ? shown : undefined
    }, { timeoutMs: 60_000, intervalMs: 250, what: () => `${name} stayed ${shown.status}` })
  }

  test('volume create --size 1 v0 becomes available; show and list find it by name', async () => {
    const created = await openstackJson(cloud, 'lifeboat-demo', ['volume', 'create', '--size', '1', 'v0'])
    assert.equal(created.name, 'v0')
    assert.equal(created.size, 1)
    const shown = await showUntil('v0', ['available', 'error'])
    assert.equal(shown.status, 'available')
    assert.equal(shown.bootable, 'false')
    assert.equal(shown.type, '__DEFAULT__')
    const list = await openstackJson<Array<{ Name: string; Status: string; Size: number }>>(cloud, 'lifeboat-demo', ['volume', 'list'])
    assert.deepEqual(list.map((v) => [v.Name, v.Status, v.Size]), [['v0', 'available', 1]])
  })

  test('volume create --image X --size 1 v1 is available and bootable with volume_image_metadata', async () => {
    const imageId = await createImage(cloud.demo, 'rescue-img', makeQcow2('32M'), { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' })
    const created = await openstack(cloud, 'lifeboat-demo', ['volume', 'create', '--image', imageId, '--size', '1', 'v1'])
    assert.equal(created.code, 0, created.stderr)
    const shown = await showUntil('v1', ['available', 'error'])
    assert.equal(shown.status, 'available')
    assert.equal(shown.bootable, 'true')
    const metadata = shown.volume_image_metadata
    assert.equal(metadata.image_id, imageId)
    assert.equal(metadata.image_name, 'rescue-img')
    assert.equal(metadata.hw_rescue_device, 'disk')
    assert.equal(metadata.hw_rescue_bus, 'virtio')
    const byName = await openstack(cloud, 'lifeboat-demo', ['volume', 'create', '--image', 'rescue-img', '--size', '1', 'v2'])
    assert.equal(byName.code, 0, byName.stderr)
    assert.equal((await showUntil('v2', ['available', 'error'])).status, 'available')
  })

  test('the admin sees demo\'s volumes with --all-projects; demo cannot see admin\'s', async () => {
    const adminVolume = await openstackJson(cloud, 'lifeboat-admin', ['volume', 'create', '--size', '1', 'admin-vol'])
    const all = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-admin', ['volume', 'list', '--all-projects'])
    assert.ok(all.some((v) => v.Name === 'v0'))
    const hidden = await openstack(cloud, 'lifeboat-demo', ['volume', 'show', adminVolume.id])
    assert.notEqual(hidden.code, 0)
  })

  test('volume delete removes the volumes', async () => {
    const deleted = await openstack(cloud, 'lifeboat-demo', ['volume', 'delete', 'v0', 'v1', 'v2'])
    assert.equal(deleted.code, 0, deleted.stderr)
    const list = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-demo', ['volume', 'list'])
    assert.deepEqual(list, [])
  })
})
