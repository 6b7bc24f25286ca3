import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'
import { makeQcow2, skipWithoutQemuImg } from '../functional/image/image-helpers.js'

describe('openstack CLI: image', { skip: skipWithoutOpenstackCli() || skipWithoutQemuImg() }, () => {
  let cloud: TestCloud
  let dir: string
  before(async () => {
    cloud = await startTestCloud('sqlite')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-image-cli-'))
  })
  after(async () => {
    await cloud?.close()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  test('image create with a qcow2 file and rescue properties; set, show, save, list, delete', async () => {
    const source = path.join(dir, 'rescue.qcow2')
    fs.writeFileSync(source, makeQcow2('32M'))
    const created = await openstackJson(cloud, 'lifeboat-demo', [
      'image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', source,
      '--property', 'hw_rescue_device=disk', '--property', 'hw_rescue_bus=virtio', 'rescue-img',
    ])
    assert.equal(created.name, 'rescue-img')
    // The CLI prints the image as POST /v2/images returned it, before the upload (as with Glance).
    assert.equal(created.disk_format, 'qcow2')

    const set = await openstack(cloud, 'lifeboat-demo', ['image', 'set', '--property', 'foo=bar', 'rescue-img'])
    assert.equal(set.code, 0, set.stderr)

    const shown = await openstackJson(cloud, 'lifeboat-demo', ['image', 'show', 'rescue-img'])
    assert.equal(shown.id, created.id)
    assert.equal(shown.status, 'active')
    assert.equal(shown.disk_format, 'qcow2')
    assert.equal(shown.virtual_size, 32 * 1024 * 1024)
    assert.equal(shown.properties.hw_rescue_device, 'disk')
    assert.equal(shown.properties.hw_rescue_bus, 'virtio')
    assert.equal(shown.properties.foo, 'bar')

    const target = path.join(dir, 'saved.qcow2')
    const save = await openstack(cloud, 'lifeboat-demo', ['image', 'save', '--file', target, 'rescue-img'])
    assert.equal(save.code, 0, save.stderr)
    assert.deepEqual(fs.readFileSync(target), fs.readFileSync(source))

    const listed = await openstackJson<Array<{ ID: string; Name: string; Status: string }>>(cloud, 'lifeboat-demo', ['image', 'list'])
    assert.deepEqual(listed.filter((i) => i.Name === 'rescue-img').map((i) => [i.ID, i.Status]), [[created.id, 'active']])

    const deleted = await openstack(cloud, 'lifeboat-demo', ['image', 'delete', 'rescue-img'])
    assert.equal(deleted.code, 0, deleted.stderr)
    const gone = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-demo', ['image', 'list'])
    assert.ok(!gone.some((i) => i.Name === 'rescue-img'))
  })

  test('the demo project can\'t see the admin project\'s private image', async () => {
    const source = path.join(dir, 'private.raw')
    fs.writeFileSync(source, Buffer.alloc(4096, 7))
    const created = await openstackJson(cloud, 'lifeboat-admin', ['image', 'create', '--disk-format', 'raw', '--private', '--file', source, 'admin-only'])
    assert.equal(created.visibility, 'private')
    const show = await openstack(cloud, 'lifeboat-demo', ['image', 'show', 'admin-only'])
    assert.notEqual(show.code, 0)
    assert.match(show.stderr, /No Image found|Could not find|not found/i)
    const publicImage = await openstack(cloud, 'lifeboat-demo', ['image', 'create', '--public', 'sneaky'])
    assert.notEqual(publicImage.code, 0)
    assert.match(publicImage.stderr, /403|Forbidden|not authorized/i)
  })
})
