import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, attachAndWait, bootServer, createImage, createVolume, fakeDomain, waitForStatus } from '../../helpers/compute.js'

const layoutOf = (cloud: Parameters<typeof fakeDomain>[0], id: string) =>
  fakeDomain(cloud, id)!.layout.devices.map((d) => ({ name: d.name.startsWith('volume-') ? 'volume' : d.name, type: d.deviceType, bus: d.bus, address: d.address, boot: d.bootIndex, guest: d.guestName }))

describeEachDialect('rescue disk layouts on the fake driver', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
    // This suite boots more servers than Nova's default instance quota (10) and keeps them: lift the demo project's quota.
    const quota = await cloud().admin.request('PUT', `/compute/v2.1/os-quota-sets/${cloud().demo.projectId}`, { body: { quota_set: { instances: -1, cores: -1, ram: -1 } } })
    assert.equal(quota.status, 200, quota.text)
  })

  test('legacy rescue (no hw_rescue_* property): rescue disk first and booting, root second, volumes left out', async () => {
    const legacy = await createImage(cloud().admin, { name: 'legacy-rescue' })
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const volume = await createVolume(cloud().demo, {})
    await attachAndWait(cloud().demo, server.id, volume.id)
    assert.equal((await action(cloud().demo, server.id, { rescue: { rescue_image_ref: legacy } })).status, 200)
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    assert.deepEqual(layoutOf(cloud(), server.id), [
      { name: 'rescue', type: 'disk', bus: 'virtio', address: 'pci:0x04', boot: 0, guest: 'vda' },
      { name: 'root', type: 'disk', bus: 'virtio', address: 'pci:0x05', boot: null, guest: 'vdb' },
      { name: 'config', type: 'cdrom', bus: 'ide', address: 'ide:0:0', boot: null, guest: 'sr0' },
    ])
    await action(cloud().demo, server.id, { unrescue: null })
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.deepEqual(layoutOf(cloud(), server.id).map((d) => [d.name, d.guest, d.boot]), [['root', 'vda', 0], ['volume', 'vdb', null], ['config', 'sr0', null]])
  })

  const combinations: Array<[string, string, { type: string; bus: string; address: string; guest: string }]> = [
    ['disk', 'virtio', { type: 'disk', bus: 'virtio', address: 'pci:0x06', guest: 'vdc' }],
    ['disk', 'scsi', { type: 'disk', bus: 'scsi', address: 'scsi0:0:0', guest: 'sda' }],
    ['disk', 'ide', { type: 'disk', bus: 'ide', address: 'ide:0:1', guest: 'sda' }],
    ['disk', 'sata', { type: 'disk', bus: 'sata', address: 'sata0:0', guest: 'sda' }],
    ['disk', 'usb', { type: 'disk', bus: 'usb', address: 'usb0:0', guest: 'sda' }],
    ['cdrom', 'ide', { type: 'cdrom', bus: 'ide', address: 'ide:0:1', guest: 'sr1' }],
    ['cdrom', 'scsi', { type: 'cdrom', bus: 'scsi', address: 'scsi0:0:0', guest: 'sr1' }],
    ['cdrom', 'sata', { type: 'cdrom', bus: 'sata', address: 'sata0:0', guest: 'sr1' }],
    ['cdrom', 'usb', { type: 'cdrom', bus: 'usb', address: 'usb0:0', guest: 'sr1' }],
  ]
  for (const [device, bus, expected] of combinations) {
    test(`stable rescue as ${device} on ${bus}: originals keep their addresses with no boot index; the rescue disk comes last and boots`, async () => {
      const rescueImage = await createImage(cloud().admin, { name: `rescue-${device}-${bus}`, properties: { hw_rescue_device: device, hw_rescue_bus: bus } })
      const server = await bootServer(cloud().demo, { imageRef: imageId })
      const volume = await createVolume(cloud().demo, {})
      await attachAndWait(cloud().demo, server.id, volume.id)
      const normal = layoutOf(cloud(), server.id)
      assert.equal((await action(cloud().demo, server.id, { rescue: { rescue_image_ref: rescueImage } })).status, 200)
      await waitForStatus(cloud().demo, server.id, 'RESCUE')
      const rescued = layoutOf(cloud(), server.id)
      assert.deepEqual(rescued.slice(0, normal.length), normal.map((d) => ({ ...d, boot: null })))
      assert.deepEqual(rescued.slice(normal.length), [{ name: 'rescue', boot: 0, ...expected }])
      await action(cloud().demo, server.id, { unrescue: null })
      await waitForStatus(cloud().demo, server.id, 'ACTIVE')
      assert.deepEqual(layoutOf(cloud(), server.id), normal)
    })
  }

  test('only hw_rescue_bus set: stable mode with the default device (disk)', async () => {
    const rescueImage = await createImage(cloud().admin, { name: 'bus-only', properties: { hw_rescue_bus: 'scsi' } })
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { rescue: { rescue_image_ref: rescueImage } })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    const last = layoutOf(cloud(), server.id).at(-1)!
    assert.deepEqual([last.name, last.type, last.bus, last.boot], ['rescue', 'disk', 'scsi', 0])
  })

  test('only hw_rescue_device=cdrom: stable mode with Nova\'s default cdrom bus (ide)', async () => {
    const rescueImage = await createImage(cloud().admin, { name: 'device-only', properties: { hw_rescue_device: 'cdrom' } })
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { rescue: { rescue_image_ref: rescueImage } })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    const last = layoutOf(cloud(), server.id).at(-1)!
    assert.deepEqual([last.type, last.bus, last.boot], ['cdrom', 'ide', 0])
  })

  test('a floppy rescue device is refused with a clear 400 before anything changes', async () => {
    const floppy = await createImage(cloud().admin, { name: 'floppy', properties: { hw_rescue_device: 'floppy' } })
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const res = await action(cloud().demo, server.id, { rescue: { rescue_image_ref: floppy } })
    assert.equal(res.status, 400)
    assert.match(res.body.badRequest.message, /floppy/)
    assert.equal(fakeDomain(cloud(), server.id)!.rescued, false)
  })

  test('without rescue_image_ref the server\'s own image is the rescue image', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { rescue: null })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    const rescue = fakeDomain(cloud(), server.id)!.layout.devices.find((d) => d.name === 'rescue')!
    assert.equal(rescue.source, `image:${imageId}`)
  })
})
