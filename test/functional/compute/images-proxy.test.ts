import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { assertAllMatchTempestSchemas, skipWithoutTempest, type TempestCheck } from '../../helpers/tempest-schema.js'

const S = 'tempest.lib.api_schema.response.compute'
const C = '/compute/v2.1'

describeEachDialect("compute image proxy (Nova's /images, up to 2.35)", (cloud) => {
  let imageId = ''
  let activeId = ''
  test('setup: a queued image with properties and an active one with data', async () => {
    const queued = await cloud().demo.request('POST', '/image/v2/images', {
      body: { name: 'proxy-queued', disk_format: 'raw', container_format: 'bare', min_ram: 128, min_disk: 2, instance_uuid: '11111111-2222-3333-4444-555555555555', hw_rescue_bus: 'usb' },
    })
    assert.equal(queued.status, 201, queued.text)
    imageId = queued.body.id
    const active = await cloud().demo.request('POST', '/image/v2/images', { body: { name: 'proxy-active', disk_format: 'raw', container_format: 'bare' } })
    activeId = active.body.id
    const upload = await cloud().demo.request('PUT', `/image/v2/images/${activeId}/file`, { rawBody: new Uint8Array(1024), contentType: 'application/octet-stream' })
    assert.equal(upload.status, 204, upload.text)
  })

  test('show maps status, progress, sizes, metadata and the server link as Nova does', async () => {
    const res = await cloud().demo.request('GET', `${C}/images/${imageId}`)
    assert.equal(res.status, 200)
    const image = res.body.image
    assert.equal(image.status, 'SAVING')
    assert.equal(image.progress, 25)
    assert.equal(image.minRam, 128)
    assert.equal(image.minDisk, 2)
    assert.equal(image['OS-EXT-IMG-SIZE:size'], null)
    assert.equal(image.metadata.hw_rescue_bus, 'usb')
    assert.equal(image.server.id, '11111111-2222-3333-4444-555555555555')
    assert.match(image.server.links[0].href, /\/compute\/v2\.1\/servers\/11111111-/)
    assert.equal(image.links[2].rel, 'alternate')
    const active = await cloud().demo.request('GET', `${C}/images/${activeId}`)
    assert.equal(active.body.image.status, 'ACTIVE')
    assert.equal(active.body.image.progress, 100)
    assert.equal(active.body.image['OS-EXT-IMG-SIZE:size'], 1024)
    assert.equal('server' in active.body.image, false)
    const missing = await cloud().demo.request('GET', `${C}/images/00000000-0000-0000-0000-000000000000`)
    assert.equal(missing.status, 404)
    assert.equal(missing.body.itemNotFound.message, 'Image not found.')
  })

  test('list and detail with filters; another project does not see a private image', async () => {
    const list = await cloud().demo.request('GET', `${C}/images`)
    assert.ok(list.body.images.some((i: any) => i.id === imageId))
    const byName = await cloud().demo.request('GET', `${C}/images/detail?name=proxy-active`)
    assert.deepEqual(byName.body.images.map((i: any) => i.id), [activeId])
    const byStatus = await cloud().demo.request('GET', `${C}/images/detail?status=ACTIVE`)
    assert.ok(byStatus.body.images.every((i: any) => i.status === 'ACTIVE'))
    const byRam = await cloud().demo.request('GET', `${C}/images/detail?minRam=100`)
    assert.deepEqual(byRam.body.images.map((i: any) => i.id), [imageId])
    const byServer = await cloud().demo.request('GET', `${C}/images?server=11111111-2222-3333-4444-555555555555`)
    assert.deepEqual(byServer.body.images.map((i: any) => i.id), [imageId])
    const byProperty = await cloud().demo.request('GET', `${C}/images?property-hw_rescue_bus=usb`)
    assert.deepEqual(byProperty.body.images.map((i: any) => i.id), [imageId])
    const page = await cloud().demo.request('GET', `${C}/images?limit=1`)
    assert.equal(page.body.images.length, 1)
    assert.equal(page.body.images_links[0].rel, 'next')
    const admin = await cloud().admin.request('GET', `${C}/images/${imageId}`)
    assert.equal(admin.status, 200)
  })

  test('image metadata: set, update one, replace all, delete; 404 from 2.39', async () => {
    const set = await cloud().demo.request('POST', `${C}/images/${imageId}/metadata`, { body: { metadata: { colour: 'red' } } })
    assert.equal(set.status, 200)
    assert.equal(set.body.metadata.colour, 'red')
    assert.equal(set.body.metadata.hw_rescue_bus, 'usb')
    const one = await cloud().demo.request('PUT', `${C}/images/${imageId}/metadata/colour`, { body: { meta: { colour: 'blue' } } })
    assert.deepEqual(one.body, { meta: { colour: 'blue' } })
    const shown = await cloud().demo.request('GET', `${C}/images/${imageId}/metadata/colour`)
    assert.deepEqual(shown.body, { meta: { colour: 'blue' } })
    const mismatch = await cloud().demo.request('PUT', `${C}/images/${imageId}/metadata/colour`, { body: { meta: { other: 'x' } } })
    assert.equal(mismatch.body.badRequest.message, 'Request body and URI mismatch')
    const replaced = await cloud().demo.request('PUT', `${C}/images/${imageId}/metadata`, { body: { metadata: { only: 'this' } } })
    assert.deepEqual(replaced.body, { metadata: { only: 'this' } })
    const all = await cloud().demo.request('GET', `${C}/images/${imageId}/metadata`)
    assert.deepEqual(all.body.metadata, { only: 'this' })
    assert.equal((await cloud().demo.request('DELETE', `${C}/images/${imageId}/metadata/only`)).status, 204)
    const gone = await cloud().demo.request('DELETE', `${C}/images/${imageId}/metadata/only`)
    assert.equal(gone.body.itemNotFound.message, 'Invalid metadata key')
    assert.equal((await cloud().demo.request('GET', `${C}/images/${imageId}/metadata`, { microversion: '2.38' })).status, 200)
    assert.equal((await cloud().demo.request('GET', `${C}/images/${imageId}/metadata`, { microversion: '2.39' })).status, 404)
  })

  test('the proxy is 404 from 2.36; delete is 204', async () => {
    assert.equal((await cloud().demo.request('GET', `${C}/images`, { microversion: '2.36' })).status, 404)
    assert.equal((await cloud().demo.request('GET', `${C}/images/${activeId}`, { microversion: '2.35' })).status, 200)
    const demoDeletesAdmins = await cloud().admin.request('POST', '/image/v2/images', { body: { name: 'admin-private', disk_format: 'raw', container_format: 'bare', visibility: 'private' } })
    assert.equal((await cloud().demo.request('DELETE', `${C}/images/${demoDeletesAdmins.body.id}`)).status, 404)
    assert.equal((await cloud().demo.request('DELETE', `${C}/images/${activeId}`)).status, 204)
    assert.equal((await cloud().demo.request('GET', `${C}/images/${activeId}`)).status, 404)
  })

  test('responses match Tempest schemas', { skip: skipWithoutTempest() }, async () => {
    const d = cloud().demo
    const checks: TempestCheck[] = []
    const add = (ref: string, res: { status: number; body: unknown; text: string }) => checks.push({ ref: `${S}.${ref}`, status: res.status, body: res.text === '' ? '' : res.body })
    add('v2_1.images:list_images', await d.request('GET', `${C}/images`))
    add('v2_1.images:list_images', await d.request('GET', `${C}/images?limit=1`))
    add('v2_1.images:list_images_details', await d.request('GET', `${C}/images/detail`, { microversion: '2.35' }))
    add('v2_1.images:get_image', await d.request('GET', `${C}/images/${imageId}`))
    add('v2_1.images:image_metadata', await d.request('POST', `${C}/images/${imageId}/metadata`, { body: { metadata: { k: 'v' } } }))
    add('v2_1.images:image_metadata', await d.request('GET', `${C}/images/${imageId}/metadata`))
    add('v2_1.images:image_meta_item', await d.request('GET', `${C}/images/${imageId}/metadata/k`))
    add('v2_1.images:image_meta_item', await d.request('PUT', `${C}/images/${imageId}/metadata/k`, { body: { meta: { k: 'w' } } }))
    add('v2_1.images:delete', await d.request('DELETE', `${C}/images/${imageId}/metadata/k`))
    add('v2_1.images:delete', await d.request('DELETE', `${C}/images/${imageId}`))
    assertAllMatchTempestSchemas(checks)
  })
})
