import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { createImage, makeQcow2, skipWithoutQemuImg, upload } from './image-helpers.js'

function imagesDir(cloud: { running: { config: { dataDir: string } } }): string {
  return path.join(cloud.running.config.dataDir, 'images')
}

describeEachDialect('image data: upload and download', (cloud) => {
  test('raw bytes go queued → active with size and hashes, and come back identical', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'raw-data', disk_format: 'raw' })
    const data = new Uint8Array(randomBytes(300_000))
    const put = await upload(demo, image.id, data)
    assert.equal(put.status, 204, put.text)
    const shown = (await demo.request('GET', `/image/v2/images/${image.id}`)).body
    const md5 = createHash('md5').update(data).digest('hex')
    assert.equal(shown.status, 'active')
    assert.equal(shown.size, data.length)
    assert.equal(shown.virtual_size, data.length)
    assert.equal(shown.checksum, md5)
    assert.equal(shown.os_hash_algo, 'sha512')
    assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'))
    const res = await fetch(`${cloud().url}/image/v2/images/${image.id}/file`, { headers: { 'x-auth-token': demo.token } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/octet-stream')
    assert.equal(res.headers.get('content-md5'), md5)
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data)
  })

  test('a second upload is 409 and the data is unchanged', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'once' })
    assert.equal((await upload(demo, image.id, new Uint8Array([1, 2, 3]))).status, 204)
    const again = await upload(demo, image.id, new Uint8Array([4, 5, 6]))
    assert.equal(again.status, 409)
    assert.equal(again.body.message, 'Image status transition from active to saving is not allowed')
    const shown = (await demo.request('GET', `/image/v2/images/${image.id}`)).body
    assert.equal(shown.size, 3)
  })

  test('downloading an image without data is 204', async () => {
    const image = await createImage(cloud().demo, { name: 'empty' })
    const res = await cloud().demo.request('GET', `/image/v2/images/${image.id}/file`)
    assert.equal(res.status, 204)
  })

  test('upload with a JSON content type is 415 and the image stays queued', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'wrong-type' })
    for (const contentType of ['text/plain', 'application/json', 'image/png']) {
      const res = await demo.request('PUT', `/image/v2/images/${image.id}/file`, { rawBody: '{}', contentType })
      assert.equal(res.status, 415, contentType)
      assert.equal(res.body.code, '415 Unsupported Media Type')
    }
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).body.status, 'queued')
  })

  test('upload before disk_format is set is 400', async () => {
    const demo = cloud().demo
    const res = await demo.request('POST', '/image/v2/images', { body: { name: 'no-format' } })
    const put = await upload(demo, res.body.id, new Uint8Array([1]))
    assert.equal(put.status, 400)
    assert.equal(put.body.message, 'Properties disk_format, container_format must be set prior to saving data.')
  })

  test('another project can\'t upload to an image it can\'t see (404)', async () => {
    const image = await createImage(cloud().admin, { name: 'admin-upload', visibility: 'private' })
    assert.equal((await upload(cloud().demo, image.id, new Uint8Array([1]))).status, 404)
  })

  test('an upload the client abandons leaves the image queued with no data kept', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'abandoned' })
    const req = http.request(`${cloud().url}/image/v2/images/${image.id}/file`, {
      method: 'PUT', headers: { 'x-auth-token': demo.token, 'content-type': 'application/octet-stream', 'content-length': String(8 * 1024 * 1024) },
    })
    req.on('error', () => {})
    req.write(Buffer.alloc(1024 * 1024, 1))
    const status = async () => (await demo.request('GET', `/image/v2/images/${image.id}`)).body.status
    for (let i = 0; i < 50 && (await status()) !== 'saving'; i++) await new Promise((r) => setTimeout(r, 20))
    assert.equal(await status(), 'saving')
    req.destroy()
    for (let i = 0; i < 100 && (await status()) !== 'queued'; i++) await new Promise((r) => setTimeout(r, 20))
    assert.equal(await status(), 'queued')
    const leftovers = fs.readdirSync(imagesDir(cloud())).filter((f) => f.includes(image.id))
    assert.deepEqual(leftovers, [])
  })

  test('delete removes the data file', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'with-file' })
    await upload(demo, image.id, new Uint8Array([9, 9, 9]))
    const file = path.join(imagesDir(cloud()), image.id)
    assert.ok(fs.existsSync(file))
    assert.equal((await demo.request('DELETE', `/image/v2/images/${image.id}`)).status, 204)
    assert.ok(!fs.existsSync(file))
  })

  test('deactivated images refuse downloads to non-admins (403); reactivate restores them', async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'deactivating' })
    await upload(demo, image.id, new Uint8Array([1, 2]))
    assert.equal((await demo.request('POST', `/image/v2/images/${image.id}/actions/deactivate`)).status, 204)
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).body.status, 'deactivated')
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}/file`)).status, 403)
    assert.equal((await demo.request('POST', `/image/v2/images/${image.id}/actions/reactivate`)).status, 204)
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}/file`)).status, 200)
    const queued = await createImage(demo, { name: 'queued' })
    assert.equal((await demo.request('POST', `/image/v2/images/${queued.id}/actions/deactivate`)).status, 403)
  })
})

describeEachDialect('image data: disk format checks with qemu-img', (cloud) => {
  test('a real qcow2 upload is active with its virtual size', { skip: skipWithoutQemuImg() }, async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'real-qcow2', disk_format: 'qcow2' })
    const data = makeQcow2('16M')
    assert.equal((await upload(demo, image.id, data)).status, 204)
    const shown = (await demo.request('GET', `/image/v2/images/${image.id}`)).body
    assert.equal(shown.status, 'active')
    assert.equal(shown.size, data.length)
    assert.equal(shown.virtual_size, 16 * 1024 * 1024)
  })

  test('garbage bytes claiming qcow2 are 400; the image is queued again with no data kept', { skip: skipWithoutQemuImg() }, async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'fake-qcow2', disk_format: 'qcow2' })
    const res = await upload(demo, image.id, new Uint8Array(randomBytes(4096)))
    assert.equal(res.status, 400)
    assert.equal(res.body.message, 'Image disk_format qcow2 does not match stream data raw')
    const shown = (await demo.request('GET', `/image/v2/images/${image.id}`)).body
    assert.equal(shown.status, 'queued')
    assert.equal(shown.size, null)
    assert.equal(shown.checksum, null)
    const leftovers = fs.existsSync(imagesDir(cloud())) ? fs.readdirSync(imagesDir(cloud())).filter((f) => f.includes(image.id)) : []
    assert.deepEqual(leftovers, [])
    const retry = await upload(demo, image.id, makeQcow2('1M'))
    assert.equal(retry.status, 204)
  })

  test('qcow2 data may be uploaded as raw (Glance allows it)', { skip: skipWithoutQemuImg() }, async () => {
    const demo = cloud().demo
    const image = await createImage(demo, { name: 'qcow2-as-raw', disk_format: 'raw' })
    const data = makeQcow2('8M')
    assert.equal((await upload(demo, image.id, data)).status, 204)
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).body.virtual_size, data.length)
  })
})
