import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { createAvailableVolume, createImage, makeQcow2, qemuInfo, v3 } from './volume-helpers.js'

const GIB = 1024 ** 3

describeEachDialect('volume service: volumes from images', (cloud) => {
  test('a volume from a qcow2 image is bootable, holds the image\'s data and Cinder\'s volume_image_metadata', async () => {
    const demo = cloud().demo
    const imageId = await createImage(demo, 'rescue-img', makeQcow2('64M'), { min_ram: 128, hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' })
    const image = (await demo.request('GET', `/image/v2/images/${imageId}`)).body
    const volume = await createAvailableVolume(demo, { size: 1, name: 'v1', imageRef: imageId })
    assert.equal(volume.bootable, 'true')
    assert.deepEqual(volume.volume_image_metadata, {
      image_id: imageId, image_name: 'rescue-img', checksum: image.checksum, container_format: 'bare', disk_format: 'qcow2',
      min_disk: '0', min_ram: '128', size: String(image.size), hw_rescue_device: 'disk', hw_rescue_bus: 'virtio',
    })
    const record = await cloud().running.services.volumes.findVolume(volume.id)
    assert.equal(record!.bootable, true)
    assert.equal(record!.imageMetadata.hw_rescue_device, 'disk')
    const info = qemuInfo(record!.backingPath)
    assert.equal(info.format, 'qcow2')
    assert.equal(info.virtualSize, 1 * GIB)
    const snapshot = await demo.request('POST', `${v3(demo)}/snapshots`, { body: { snapshot: { volume_id: volume.id } } })
    const deadline = Date.now() + 20_000
    while ((await demo.request('GET', `${v3(demo)}/snapshots/${snapshot.body.snapshot.id}`)).body.snapshot.status !== 'available') {
      assert.ok(Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const fromSnap = await createAvailableVolume(demo, { snapshot_id: snapshot.body.snapshot.id })
    assert.equal(fromSnap.bootable, 'true')
    assert.equal(fromSnap.volume_image_metadata.image_id, imageId)
  })

  test('an image\'s href works as imageRef (as Nova sends it)', async () => {
    const demo = cloud().demo
    const imageId = await createImage(demo, 'href-img', makeQcow2('16M'))
    const volume = await createAvailableVolume(demo, { size: 1, imageRef: `${cloud().url}/image/v2/images/${imageId}` })
    assert.equal(volume.volume_image_metadata.image_id, imageId)
  })

  test('an image whose virtual size does not fit the volume is 400 and creates nothing', async () => {
    const demo = cloud().demo
    const imageId = await createImage(demo, 'big-img', makeQcow2('3G'))
    const before = await cloud().running.database.db.selectFrom('volumes').select('id').execute()
    const res = await demo.request('POST', `${v3(demo)}/volumes`, { body: { volume: { size: 2, imageRef: imageId } } })
    assert.deepEqual(res.body, { badRequest: { code: 400, message: `Image ${imageId} is unacceptable: Image virtual size is 3GB and doesn't fit in a volume of size 2GB.` } })
    const minDisk = await createImage(demo, 'min-disk-img', makeQcow2('16M'), { min_disk: 5 })
    const small = await demo.request('POST', `${v3(demo)}/volumes`, { body: { volume: { size: 1, imageRef: minDisk } } })
    assert.equal(small.body.badRequest.message, 'Invalid input received: Volume size 1GB cannot be smaller than the image minDisk size 5GB.')
    const after = await cloud().running.database.db.selectFrom('volumes').select('id').execute()
    assert.equal(after.length, before.length)
    const fits = await createAvailableVolume(demo, { size: 3, imageRef: imageId })
    assert.equal(fits.bootable, 'true')
  })

  test('an image the caller can\'t see, or one without data, is a 400', async () => {
    const { admin, demo } = cloud()
    const privateImage = await createImage(admin, 'admin-private', makeQcow2('16M'), { visibility: 'private' })
    const hidden = await demo.request('POST', `${v3(demo)}/volumes`, { body: { volume: { size: 1, imageRef: privateImage } } })
    assert.deepEqual(hidden.body, { badRequest: { code: 400, message: 'Invalid image identifier or unable to access requested image.' } })
    const queued = await demo.request('POST', '/image/v2/images', { body: { name: 'no-data', disk_format: 'qcow2', container_format: 'bare' } })
    const empty = await demo.request('POST', `${v3(demo)}/volumes`, { body: { volume: { size: 1, imageRef: queued.body.id } } })
    assert.equal(empty.body.badRequest.message, `Invalid input received: Image ${queued.body.id} is not active.`)
  })
})
