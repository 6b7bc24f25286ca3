import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { createImage } from './image-helpers.js'

describeEachDialect('image: versions, create, list, show, delete', (cloud) => {
  test('GET /image and /image/ answer 300 with absolute version links; /image/versions 200', async () => {
    for (const path of ['/image', '/image/']) {
      const res = await cloud().request('GET', path)
      assert.equal(res.status, 300)
      const current = res.body.versions.filter((v: any) => v.status === 'CURRENT')
      assert.equal(current.length, 1)
      assert.match(current[0].id, /^v2\.\d+$/)
      for (const v of res.body.versions) assert.equal(v.links[0].href, `${cloud().url}/image/v2/`)
    }
    const explicit = await cloud().request('GET', '/image/versions')
    assert.equal(explicit.status, 200)
    assert.ok(explicit.body.versions.length > 1)
  })

  test('image routes need a token (401 in Glance\'s envelope)', async () => {
    const res = await cloud().request('GET', '/image/v2/images')
    assert.equal(res.status, 401)
    assert.equal(res.body.code, '401 Unauthorized')
    assert.equal(res.body.title, 'Unauthorized')
  })

  test('create returns the full Glance view with custom properties flat', async () => {
    const res = await cloud().demo.request('POST', '/image/v2/images', {
      body: { name: 'cirros', disk_format: 'qcow2', container_format: 'bare', min_disk: 1, min_ram: 64, tags: ['t1', 't1', 't2'], hw_rescue_bus: 'virtio' },
    })
    assert.equal(res.status, 201)
    const image = res.body
    assert.equal(res.headers.get('location'), `${cloud().url}/image/v2/images/${image.id}`)
    assert.deepEqual(
      Object.keys(image).sort(),
      ['checksum', 'container_format', 'created_at', 'disk_format', 'file', 'hw_rescue_bus', 'id', 'min_disk', 'min_ram', 'name', 'os_hash_algo',
        'os_hash_value', 'os_hidden', 'owner', 'protected', 'schema', 'self', 'size', 'status', 'tags', 'updated_at', 'virtual_size', 'visibility'],
    )
    assert.equal(image.status, 'queued')
    assert.equal(image.visibility, 'shared')
    assert.equal(image.owner, cloud().demo.projectId)
    assert.equal(image.hw_rescue_bus, 'virtio')
    assert.deepEqual(image.tags.sort(), ['t1', 't2'])
    assert.match(image.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.equal(image.self, `/v2/images/${image.id}`)
    assert.equal(image.file, `/v2/images/${image.id}/file`)
    assert.equal(image.schema, '/v2/schemas/image')
    assert.equal(image.size, null)
    assert.equal(image.locations, undefined)
  })

  test('a client-chosen id is kept; reusing it is 409', async () => {
    const id = '5a4e9f2c-1111-4222-8333-444455556666'
    const image = await createImage(cloud().admin, { id, name: 'fixed-id' })
    assert.equal(image.id, id)
    const again = await cloud().admin.request('POST', '/image/v2/images', { body: { id, name: 'dup' } })
    assert.equal(again.status, 409)
  })

  test('bad input is 400 or 403 with Glance\'s words, and creates nothing', async () => {
    const demo = cloud().demo
    const before = (await demo.request('GET', '/image/v2/images?limit=1000')).body.images.length
    const badFormat = await demo.request('POST', '/image/v2/images', { body: { name: 'x', disk_format: 'floppy' } })
    assert.equal(badFormat.status, 400)
    assert.match(badFormat.body.message, /'floppy' is not one of/)
    const numberProperty = await demo.request('POST', '/image/v2/images', { body: { name: 'x', foo: 1 } })
    assert.equal(numberProperty.status, 400)
    const readOnly = await demo.request('POST', '/image/v2/images', { body: { name: 'x', status: 'active' } })
    assert.equal(readOnly.status, 403)
    assert.equal(readOnly.body.message, "Attribute 'status' is read-only.")
    const reserved = await demo.request('POST', '/image/v2/images', { body: { name: 'x', os_glance_foo: 'y' } })
    assert.equal(reserved.status, 403)
    const publicByDemo = await demo.request('POST', '/image/v2/images', { body: { name: 'x', visibility: 'public' } })
    assert.equal(publicByDemo.status, 403)
    assert.equal(publicByDemo.body.message, 'You are not authorized to complete publicize_image action.')
    const otherOwner = await demo.request('POST', '/image/v2/images', { body: { name: 'x', owner: cloud().admin.projectId } })
    assert.equal(otherOwner.status, 403)
    const notObject = await demo.request('POST', '/image/v2/images', { body: ['x'] })
    assert.equal(notObject.status, 400)
    const after = (await demo.request('GET', '/image/v2/images?limit=1000')).body.images.length
    assert.equal(after, before)
  })

  test('projects are isolated: demo can\'t see, patch or delete admin\'s private image (404)', async () => {
    const secret = await createImage(cloud().admin, { name: 'admin-secret', visibility: 'private' })
    const demo = cloud().demo
    const show = await demo.request('GET', `/image/v2/images/${secret.id}`)
    assert.equal(show.status, 404)
    assert.equal(show.body.message, `No image found with ID ${secret.id}`)
    const list = await demo.request('GET', '/image/v2/images?limit=1000')
    assert.ok(!list.body.images.some((i: any) => i.id === secret.id))
    const p = await demo.request('PATCH', `/image/v2/images/${secret.id}`, { rawBody: JSON.stringify([{ op: 'replace', path: '/name', value: 'mine' }]), contentType: 'application/openstack-images-v2.1-json-patch' })
    assert.equal(p.status, 404)
    assert.equal((await demo.request('DELETE', `/image/v2/images/${secret.id}`)).status, 404)
    assert.equal((await demo.request('GET', `/image/v2/images/${secret.id}/file`)).status, 404)
    const still = await cloud().admin.request('GET', `/image/v2/images/${secret.id}`)
    assert.equal(still.body.name, 'admin-secret')
  })

  test('public images are seen by all but changed only by their owner (403)', async () => {
    const pub = await createImage(cloud().admin, { name: 'shared-base', visibility: 'public' })
    const demo = cloud().demo
    assert.equal((await demo.request('GET', `/image/v2/images/${pub.id}`)).status, 200)
    const list = await demo.request('GET', '/image/v2/images?visibility=public&limit=1000')
    assert.ok(list.body.images.some((i: any) => i.id === pub.id))
    const del = await demo.request('DELETE', `/image/v2/images/${pub.id}`)
    assert.equal(del.status, 403)
    assert.equal(del.body.message, 'You do not own this image')
  })

  test('admins see every project\'s images', async () => {
    const mine = await createImage(cloud().demo, { name: 'demo-private', visibility: 'private' })
    const list = await cloud().admin.request('GET', '/image/v2/images?limit=1000')
    assert.ok(list.body.images.some((i: any) => i.id === mine.id))
  })

  test('list filters: name, status, tag, property, visibility, os_hidden', async () => {
    const demo = cloud().demo
    const a = await createImage(demo, { name: 'filter-a', tags: ['blue'], hw_rescue_bus: 'virtio', colour: 'teal' })
    const b = await createImage(demo, { name: 'filter-b', tags: ['red'], disk_format: 'qcow2', os_hidden: true })
    const ids = async (q: string) => (await demo.request('GET', `/image/v2/images?${q}`)).body.images.map((i: any) => i.id)
    assert.deepEqual(await ids('name=filter-a'), [a.id])
    assert.deepEqual(await ids('tag=blue'), [a.id])
    assert.deepEqual(await ids('hw_rescue_bus=virtio&colour=teal'), [a.id])
    assert.deepEqual(await ids('colour=green'), [])
    assert.deepEqual(await ids('name=filter-b'), [], 'os_hidden images are left out by default')
    assert.deepEqual(await ids('name=filter-b&os_hidden=true'), [b.id])
    assert.ok((await ids('status=queued&visibility=shared')).includes(a.id))
    assert.deepEqual(await ids('disk_format=qcow2&name=filter-a'), [])
    const bad = await demo.request('GET', '/image/v2/images?visibility=everyone')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.message, 'Invalid visibility value: everyone')
    assert.equal((await demo.request('GET', '/image/v2/images?sort_key=colour')).status, 400)
    assert.equal((await demo.request('GET', '/image/v2/images?limit=-1')).status, 400)
  })

  test('limit and marker page through a sorted list with next links', async () => {
    const demo = cloud().demo
    for (const name of ['page-3', 'page-1', 'page-2']) await createImage(demo, { name, tags: ['paged'] })
    const first = await demo.request('GET', '/image/v2/images?tag=paged&sort=name:asc&limit=2')
    assert.deepEqual(first.body.images.map((i: any) => i.name), ['page-1', 'page-2'])
    assert.equal(first.body.first, '/v2/images?tag=paged&sort=name%3Aasc&limit=2')
    assert.ok(first.body.next.startsWith('/v2/images?'))
    const second = await demo.request('GET', `/image${first.body.next}`)
    assert.deepEqual(second.body.images.map((i: any) => i.name), ['page-3'])
    assert.equal(second.body.next, undefined)
    const classic = await demo.request('GET', '/image/v2/images?tag=paged&sort_key=name&sort_dir=desc')
    assert.deepEqual(classic.body.images.map((i: any) => i.name), ['page-3', 'page-2', 'page-1'])
  })

  test('delete is 204 and the image is gone; protected images are 403', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'doomed' })
    assert.equal((await demo.request('DELETE', `/image/v2/images/${image.id}`)).status, 204)
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).status, 404)
    assert.equal((await demo.request('DELETE', `/image/v2/images/${image.id}`)).status, 404)
    const kept = await createImage(demo, { name: 'kept', protected: true })
    const refused = await demo.request('DELETE', `/image/v2/images/${kept.id}`)
    assert.equal(refused.status, 403)
    assert.equal(refused.body.message, `Image ${kept.id} is protected and cannot be deleted.`)
    assert.equal((await demo.request('GET', `/image/v2/images/${kept.id}`)).status, 200)
  })

  test('unknown image is 404; unknown path is 404 in Glance\'s envelope', async () => {
    const res = await cloud().demo.request('GET', '/image/v2/images/00000000-0000-0000-0000-000000000000')
    assert.equal(res.status, 404)
    assert.equal(res.body.code, '404 Not Found')
    assert.equal((await cloud().demo.request('GET', '/image/v2/nothing')).status, 404)
  })

  test('tags: PUT adds (idempotent), DELETE removes, unknown tag 404', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'tagged' })
    assert.equal((await demo.request('PUT', `/image/v2/images/${image.id}/tags/x86`)).status, 204)
    assert.equal((await demo.request('PUT', `/image/v2/images/${image.id}/tags/x86`)).status, 204)
    assert.deepEqual((await demo.request('GET', `/image/v2/images/${image.id}`)).body.tags, ['x86'])
    assert.equal((await demo.request('DELETE', `/image/v2/images/${image.id}/tags/x86`)).status, 204)
    assert.equal((await demo.request('DELETE', `/image/v2/images/${image.id}/tags/x86`)).status, 404)
  })

  test('schemas for image and images are served', async () => {
    const image = await cloud().demo.request('GET', '/image/v2/schemas/image')
    assert.equal(image.status, 200)
    assert.equal(image.body.name, 'image')
    assert.deepEqual(image.body.additionalProperties, { type: 'string' })
    assert.ok(image.body.properties.disk_format.enum.includes('qcow2'))
    const images = await cloud().demo.request('GET', '/image/v2/schemas/images')
    assert.equal(images.body.properties.images.items.name, 'image')
  })
})
