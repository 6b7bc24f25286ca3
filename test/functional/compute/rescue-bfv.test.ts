import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect, type TestCloud } from '../../helpers/cloud.js'
import { action, createImage, createVolume, fakeDomain, instanceRow, waitForStatus } from '../../helpers/compute.js'

const STABLE = { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' }

/** A volume-backed server (root volume made from `imageId`) with one extra data volume attached at boot. */
async function bootFromVolume(cloud: TestCloud, imageId: string, options: { sendImageRef?: boolean } = {}): Promise<{ server: any; dataVolume: any }> {
  const dataVolume = await createVolume(cloud.demo, { name: 'data' })
  const res = await cloud.demo.request('POST', '/compute/v2.1/servers', {
    microversion: '2.87',
    body: {
      server: {
        name: 'bfv', flavorRef: '1', networks: 'none', ...(options.sendImageRef === false ? {} : { imageRef: imageId }),
        block_device_mapping_v2: [
          { boot_index: '0', source_type: 'image', uuid: imageId, destination_type: 'volume', volume_size: 1, delete_on_termination: true },
          { boot_index: -1, source_type: 'volume', uuid: dataVolume.id, destination_type: 'volume' },
        ],
      },
    },
  })
  assert.equal(res.status, 202, res.text)
  return { server: await waitForStatus(cloud.demo, res.body.server.id, 'ACTIVE', { microversion: '2.87' }), dataVolume }
}

describeEachDialect('boot-from-volume rescue (microversion 2.87, COMPUTE_RESCUE_BFV)', (cloud) => {
  let stableImage: string
  before(async () => {
    stableImage = await createImage(cloud().admin, { name: 'stable-rescue', properties: STABLE })
  })

  test('at 2.87 with both properties and the trait, a BFV server is rescued with the root volume kept at vda', async () => {
    const { server, dataVolume } = await bootFromVolume(cloud(), stableImage)
    const normal = fakeDomain(cloud(), server.id)!.layout.devices
    assert.deepEqual(normal.map((d) => [d.role, d.guestName, d.bootIndex]), [['root', 'vda', 0], ['volume', 'vdb', null], ['config-drive', 'sr0', null]])
    const res = await action(cloud().demo, server.id, { rescue: { rescue_image_ref: stableImage } }, '2.87')
    assert.equal(res.status, 200, res.text)
    await waitForStatus(cloud().demo, server.id, 'RESCUE', { microversion: '2.87' })
    const devices = fakeDomain(cloud(), server.id)!.layout.devices
    assert.deepEqual(devices.map((d) => [d.role, d.bus, d.address, d.guestName, d.bootIndex]), [
      ['root', 'virtio', 'pci:0x04', 'vda', null],
      ['volume', 'virtio', 'pci:0x05', 'vdb', null],
      ['config-drive', 'ide', 'ide:0:0', 'sr0', null],
      ['rescue', 'virtio', 'pci:0x06', 'vdc', 0],
    ])
    assert.equal(devices[1]!.source, `volume:${dataVolume.id}`)
    await action(cloud().demo, server.id, { unrescue: null }, '2.87')
    await waitForStatus(cloud().demo, server.id, 'ACTIVE', { microversion: '2.87' })
    assert.deepEqual(fakeDomain(cloud(), server.id)!.layout.devices, normal)
  })

  test('without rescue_image_ref, the root volume\'s image (volume_image_metadata) is the rescue image', async () => {
    // Without imageRef (as `openstack server create --boot-from-volume` sends it) the server has no image of its own.
    const { server } = await bootFromVolume(cloud(), stableImage, { sendImageRef: false })
    assert.equal(server.image, '')
    const res = await action(cloud().demo, server.id, { rescue: null }, '2.87')
    assert.equal(res.status, 200, res.text)
    await waitForStatus(cloud().demo, server.id, 'RESCUE', { microversion: '2.87' })
    const rescue = fakeDomain(cloud(), server.id)!.layout.devices.find((d) => d.role === 'rescue')!
    assert.equal(rescue.source, `image:${stableImage}`)
  })

  test('below 2.87 a BFV rescue is 400 InstanceNotRescuable, and the message says how to ask for 2.87', async () => {
    const { server } = await bootFromVolume(cloud(), stableImage)
    const res = await action(cloud().demo, server.id, { rescue: { rescue_image_ref: stableImage } }, '2.86')
    assert.equal(res.status, 400)
    const message: string = res.body.badRequest.message
    assert.ok(message.startsWith(`Instance ${server.id} cannot be rescued: Cannot rescue a volume-backed instance`), message)
    assert.match(message, /microversion 2\.86/)
    assert.match(message, /--os-compute-api-version 2\.87/)
    assert.equal((await instanceRow(cloud(), server.id)).task_state, null)
    assert.equal(fakeDomain(cloud(), server.id)!.rescued, false)
  })

  test('at 2.87 a rescue image lacking hw_rescue_bus is refused, naming the missing property', async () => {
    const deviceOnly = await createImage(cloud().admin, { name: 'device-only', properties: { hw_rescue_device: 'disk' } })
    const { server } = await bootFromVolume(cloud(), stableImage)
    const res = await action(cloud().demo, server.id, { rescue: { rescue_image_ref: deviceOnly } }, '2.87')
    assert.equal(res.status, 400)
    assert.match(res.body.badRequest.message, /lacks hw_rescue_bus/)
    assert.doesNotMatch(res.body.badRequest.message, /hw_rescue_device/)
  })

  test('an attached volume that is not in-use makes rescue 409 and changes nothing', async () => {
    const { server, dataVolume } = await bootFromVolume(cloud(), stableImage)
    const reset = await cloud().admin.request('POST', `/volume/v3/${cloud().admin.projectId}/volumes/${dataVolume.id}/action`, { body: { 'os-reset_status': { status: 'available' } } })
    assert.equal(reset.status, 202, reset.text)
    const res = await action(cloud().demo, server.id, { rescue: { rescue_image_ref: stableImage } }, '2.87')
    assert.equal(res.status, 409)
    assert.equal(res.body.conflictingRequest.message, `Invalid volume: volume '${dataVolume.id}' status must be 'in-use'. Currently in 'available' status`)
  })
})

describeEachDialect('boot-from-volume rescue on a host without COMPUTE_RESCUE_BFV', (cloud) => {
  test('the host\'s missing trait refuses the rescue at 2.87 with Nova\'s reason and the trait named', async () => {
    const stableImage = await createImage(cloud().admin, { name: 'stable-rescue', properties: STABLE })
    const { server } = await bootFromVolume(cloud(), stableImage)
    const res = await action(cloud().demo, server.id, { rescue: { rescue_image_ref: stableImage } }, '2.87')
    assert.equal(res.status, 400)
    assert.match(res.body.badRequest.message, /cannot be rescued: Host unable to rescue a volume-backed instance/)
    assert.match(res.body.badRequest.message, /does not report trait COMPUTE_RESCUE_BFV/)
  })
}, { agent: { fakeSupportsBfvRescue: false } })
