import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { PATCH_V20, createImage, patch, upload } from './image-helpers.js'

describeEachDialect('image PATCH', (cloud) => {
  test('RFC 6902 add/replace/remove of core attributes, properties and tags', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'patchy', hw_rescue_device: 'cdrom' })
    const res = await patch(demo, image.id, [
      { op: 'replace', path: '/name', value: 'patched' },
      { op: 'add', path: '/hw_rescue_bus', value: 'virtio' },
      { op: 'replace', path: '/hw_rescue_device', value: 'disk' },
      { op: 'replace', path: '/min_ram', value: 512 },
      { op: 'replace', path: '/tags', value: ['a', 'b'] },
      { op: 'add', path: '/protected', value: true },
    ])
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.name, 'patched')
    assert.equal(res.body.hw_rescue_bus, 'virtio')
    assert.equal(res.body.hw_rescue_device, 'disk')
    assert.equal(res.body.min_ram, 512)
    assert.equal(res.body.protected, true)
    assert.deepEqual(res.body.tags.sort(), ['a', 'b'])
    const removed = await patch(demo, image.id, [{ op: 'remove', path: '/hw_rescue_bus' }, { op: 'replace', path: '/protected', value: false }])
    assert.equal(removed.status, 200)
    assert.equal(removed.body.hw_rescue_bus, undefined)
    const shown = await demo.request('GET', `/image/v2/images/${image.id}`)
    assert.equal(shown.body.hw_rescue_device, 'disk')
    assert.equal(shown.body.hw_rescue_bus, undefined)
  })

  test('the old dialect (v2.0, Tempest\'s) adds, replaces and removes properties', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'old-dialect' })
    const added = await patch(demo, image.id, [{ add: '/hw_rescue_device', value: 'disk' }, { add: '/hw_rescue_bus', value: 'scsi' }], PATCH_V20)
    assert.equal(added.status, 200, added.text)
    assert.equal(added.body.hw_rescue_bus, 'scsi')
    const replaced = await patch(demo, image.id, [{ replace: '/hw_rescue_bus', value: 'virtio' }, { remove: '/hw_rescue_device' }], PATCH_V20)
    assert.equal(replaced.body.hw_rescue_bus, 'virtio')
    assert.equal(replaced.body.hw_rescue_device, undefined)
    const twice = await patch(demo, image.id, [{ add: '/hw_rescue_bus', value: 'ide' }], PATCH_V20)
    assert.equal(twice.status, 409)
    assert.equal(twice.body.message, 'Property hw_rescue_bus already present.')
  })

  test('wrong content type is 415 with Accept-Patch', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'media' })
    for (const contentType of ['application/json', 'text/plain']) {
      const res = await patch(demo, image.id, [{ op: 'replace', path: '/name', value: 'x' }], contentType)
      assert.equal(res.status, 415)
      assert.equal(res.body.title, 'Unsupported Media Type')
      assert.match(res.headers.get('accept-patch') ?? '', /openstack-images-v2.1-json-patch/)
    }
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).body.name, 'media')
  })

  test('malformed patches are 400 and change nothing', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'stable' })
    const cases: Array<[unknown, RegExp]> = [
      [{ op: 'replace', path: '/name', value: 'x' }, /must be a JSON array/],
      [['replace'], /Operations must be JSON objects/],
      [[{ op: 'move', path: '/name', value: 'x' }], /Invalid operation: `move`/],
      [[{ path: '/name', value: 'x' }], /Unable to find `op`/],
      [[{ op: 'replace', path: 'name', value: 'x' }], /does not start with "\/"/],
      [[{ op: 'replace', path: '/name' }], /requires a member named "value"/],
      [[{ op: 'replace', path: '/name/first', value: 'x' }], /Invalid JSON pointer/],
      [[{ op: 'replace', path: '/min_disk', value: 'big' }], /is not of type 'integer'/],
      [[{ op: 'replace', path: '/visibility', value: 'everyone' }], /is not one of/],
      [[{ op: 'add', path: '/foo', value: 1 }], /is not of type 'string'/],
      [[{ op: 'replace', path: '/name', value: 'ok' }, { op: 'replace', path: '/min_ram', value: -1 }], /Cannot be a negative value/],
    ]
    for (const [body, message] of cases) {
      const res = await patch(demo, image.id, body)
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.match(res.body.message, message)
    }
    const broken = await demo.request('PATCH', `/image/v2/images/${image.id}`, { rawBody: '[{"op": ', contentType: 'application/openstack-images-v2.1-json-patch' })
    assert.equal(broken.status, 400)
    assert.equal(broken.body.code, '400 Bad Request')
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).body.name, 'stable')
  })

  test('read-only and reserved attributes are 403; core attributes can\'t be removed', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'guarded' })
    for (const key of ['status', 'checksum', 'size', 'id', 'created_at', 'os_hash_value']) {
      const res = await patch(demo, image.id, [{ op: 'replace', path: `/${key}`, value: 'x' }])
      assert.equal(res.status, 403, key)
      assert.equal(res.body.message, `Attribute '${key}' is read-only.`)
    }
    assert.equal((await patch(demo, image.id, [{ op: 'add', path: '/deleted', value: 'x' }])).status, 403)
    const removeName = await patch(demo, image.id, [{ op: 'remove', path: '/name' }])
    assert.equal(removeName.status, 403)
    assert.equal(removeName.body.message, 'Property name may not be removed.')
    const missing = await patch(demo, image.id, [{ op: 'remove', path: '/nothing' }])
    assert.equal(missing.status, 409)
    assert.equal(missing.body.message, 'Property nothing does not exist.')
  })

  test('only admins publicize images or change owners', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'going-public' })
    const pub = await patch(demo, image.id, [{ op: 'replace', path: '/visibility', value: 'public' }])
    assert.equal(pub.status, 403)
    const owner = await patch(demo, image.id, [{ op: 'replace', path: '/owner', value: 'someone' }])
    assert.equal(owner.status, 403)
    assert.equal(owner.body.message, "Owner can't be updated by non admin.")
    const community = await patch(demo, image.id, [{ op: 'replace', path: '/visibility', value: 'community' }])
    assert.equal(community.body.visibility, 'community')
    const byAdmin = await patch(cloud().admin, image.id, [{ op: 'replace', path: '/visibility', value: 'public' }])
    assert.equal(byAdmin.status, 200)
    assert.equal(byAdmin.body.visibility, 'public')
  })

  test('disk_format can only change while queued', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'formats', disk_format: 'raw' })
    assert.equal((await patch(demo, image.id, [{ op: 'replace', path: '/disk_format', value: 'iso' }])).body.disk_format, 'iso')
    await upload(demo, image.id, new Uint8Array([1, 2, 3]))
    const late = await patch(demo, image.id, [{ op: 'replace', path: '/disk_format', value: 'raw' }])
    assert.equal(late.status, 403)
    assert.equal(late.body.message, 'Attribute disk_format can be only replaced for a queued image.')
  })
})
