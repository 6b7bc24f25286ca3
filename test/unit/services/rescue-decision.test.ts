import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { chooseRescueImage, decideRescue, rescueDeviceAndBus, rescueMode, type RescueFacts } from '../../../src/services/compute/rescue-decision.js'
import { InstanceNotRescuable, UnsupportedRescueImage } from '../../../src/services/compute/compute-errors.js'
import { Conflict } from '../../../src/services/errors.js'

const STABLE = { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' }
const HOST_TRAITS = ['COMPUTE_NODE', 'COMPUTE_RESCUE_BFV', 'COMPUTE_STORAGE_BUS_IDE', 'COMPUTE_STORAGE_BUS_SCSI', 'COMPUTE_STORAGE_BUS_VIRTIO', 'COMPUTE_STORAGE_BUS_USB', 'COMPUTE_STORAGE_BUS_SATA']

/** An image-backed server on a host that can do everything, rescued at 2.1 with no image named. */
function facts(overrides: Partial<RescueFacts> = {}): RescueFacts {
  return {
    instanceId: 'server-1', host: 'host-1',
    requestedImageRef: null, requestedImage: null,
    ownImage: { id: 'own-image', properties: { base_image_ref: 'own-image', name: 'cirros', hw_disk_bus: 'virtio' } },
    rootVolumeImageMetadata: null, defaultImage: null, volumeBacked: false, attachedVolumes: [],
    hostTraits: HOST_TRAITS, allowBfvRescue: false, microversion: '2.1',
    ...overrides,
  }
}

/** A volume-backed server (no image of its own) rescued at 2.87. */
function bfvFacts(overrides: Partial<RescueFacts> = {}): RescueFacts {
  return facts({
    ownImage: null, volumeBacked: true, allowBfvRescue: true, microversion: '2.87',
    rootVolumeImageMetadata: { image_id: 'volume-image', image_name: 'cirros', checksum: 'abc', disk_format: 'qcow2', min_disk: '0', size: '1', ...STABLE },
    attachedVolumes: [{ id: 'root-volume', status: 'in-use' }],
    ...overrides,
  })
}

const image = (id: string, properties: Record<string, string> = {}, status = 'active') => ({ id, status, properties })

describe('which image a rescue boots (Nova\'s _get_rescue_image)', () => {
  test('1. the requested image, whatever the server has', () => {
    const decision = decideRescue(facts({ requestedImageRef: 'wanted', requestedImage: image('wanted', STABLE), defaultImage: image('default') }))
    assert.deepEqual(decision, { imageId: 'wanted', mode: 'stable', device: 'disk', bus: 'virtio' })
  })

  test('1. a requested image that is missing, not active, or made from a volume snapshot is UnsupportedRescueImage — never another image', () => {
    const cases = [
      facts({ requestedImageRef: 'gone', requestedImage: null, defaultImage: image('default') }),
      facts({ requestedImageRef: 'queued', requestedImage: image('queued', {}, 'queued') }),
      facts({ requestedImageRef: 'snap', requestedImage: image('snap', { block_device_mapping: '[]' }) }),
      facts({ requestedImageRef: 'snap2', requestedImage: image('snap2', { img_block_device_mapping: '[]' }) }),
    ]
    for (const f of cases) {
      assert.throws(() => decideRescue(f), (error: unknown) => error instanceof UnsupportedRescueImage && error.message === `Requested rescue image '${f.requestedImageRef}' is not supported`)
    }
  })

  test('2. else the server\'s own image, with the properties recorded at boot (no base_image_ref or name)', () => {
    assert.deepEqual(chooseRescueImage(facts({ defaultImage: image('default') })), { imageId: 'own-image', properties: { hw_disk_bus: 'virtio' } })
    assert.deepEqual(decideRescue(facts()), { imageId: 'own-image', mode: 'legacy', device: 'disk', bus: 'virtio' })
  })

  test('3. else, for a volume-backed server, the image in the root volume\'s volume_image_metadata (record fields are not properties)', () => {
    assert.deepEqual(chooseRescueImage(bfvFacts({ defaultImage: image('default') })), { imageId: 'volume-image', properties: STABLE })
    assert.deepEqual(decideRescue(bfvFacts()), { imageId: 'volume-image', mode: 'stable', device: 'disk', bus: 'virtio' })
  })

  test('4. else the operator\'s default rescue image, when it is active', () => {
    const none = { ownImage: null }
    assert.deepEqual(decideRescue(facts({ ...none, defaultImage: image('default', { hw_rescue_device: 'cdrom' }) })), { imageId: 'default', mode: 'stable', device: 'cdrom', bus: 'ide' })
    assert.equal(chooseRescueImage(facts({ ...none, defaultImage: image('default', {}, 'deactivated') })), null)
    assert.equal(chooseRescueImage(bfvFacts({ rootVolumeImageMetadata: {}, defaultImage: image('default', STABLE) }))?.imageId, 'default')
  })

  test('else the rescue is refused with InstanceNotRescuable', () => {
    assert.throws(() => decideRescue(facts({ ownImage: null })), (error: unknown) => error instanceof InstanceNotRescuable
      && error.message === 'Instance server-1 cannot be rescued: no rescue image: the request names none and the server has no image')
  })
})

describe('mode, device and bus', () => {
  test('legacy without hw_rescue_device and hw_rescue_bus: a virtio disk', () => {
    assert.equal(rescueMode({}), 'legacy')
    assert.equal(rescueMode({ hw_disk_bus: 'scsi' }), 'legacy')
    assert.deepEqual(rescueDeviceAndBus({ hw_disk_bus: 'scsi' }, 'i', HOST_TRAITS), { device: 'disk', bus: 'virtio' })
  })

  test('stable when either property is set; Nova\'s defaults: device disk, bus virtio for a disk and ide for a cdrom', () => {
    assert.equal(rescueMode({ hw_rescue_bus: 'scsi' }), 'stable')
    assert.equal(rescueMode({ hw_rescue_device: 'disk' }), 'stable')
    assert.deepEqual(rescueDeviceAndBus({ hw_rescue_bus: 'scsi' }, 'i', HOST_TRAITS), { device: 'disk', bus: 'scsi' })
    assert.deepEqual(rescueDeviceAndBus({ hw_rescue_device: 'disk' }, 'i', HOST_TRAITS), { device: 'disk', bus: 'virtio' })
    assert.deepEqual(rescueDeviceAndBus({ hw_rescue_device: 'cdrom' }, 'i', HOST_TRAITS), { device: 'cdrom', bus: 'ide' })
    assert.deepEqual(rescueDeviceAndBus({ hw_rescue_device: 'cdrom', hw_rescue_bus: 'sata' }, 'i', HOST_TRAITS), { device: 'cdrom', bus: 'sata' })
  })

  test('a floppy (default bus fdc) or an fdc bus is refused; unknown devices and buses too', () => {
    const refused = (properties: Record<string, string>, reason: RegExp) => assert.throws(
      () => decideRescue(facts({ requestedImageRef: 'r', requestedImage: image('r', properties) })),
      (error: unknown) => error instanceof UnsupportedRescueImage && error.message.startsWith("Requested rescue image 'r' is not supported: ") && reason.test(error.message),
    )
    refused({ hw_rescue_device: 'floppy' }, /floppy rescue devices are not supported/)
    refused({ hw_rescue_bus: 'fdc' }, /floppy rescue devices are not supported/)
    refused({ hw_rescue_device: 'tape' }, /hw_rescue_device tape is not one of disk, cdrom, floppy/)
    refused({ hw_rescue_bus: 'nvme' }, /hw_rescue_bus nvme is not one of virtio, scsi, ide, sata, usb/)
  })

  test('a bus the host lacks is refused; a host that reports no traits is not checked', () => {
    assert.throws(() => rescueDeviceAndBus({ hw_rescue_bus: 'usb' }, 'r', ['COMPUTE_STORAGE_BUS_VIRTIO']), /the host has no usb bus \(trait COMPUTE_STORAGE_BUS_USB\)/)
    assert.deepEqual(rescueDeviceAndBus({ hw_rescue_bus: 'usb' }, 'r', []), { device: 'disk', bus: 'usb' })
  })
})

describe('checks around the image', () => {
  test('an attached volume that is not in-use is 409, after the requested image and before the volume-backed rules', () => {
    const volumes = { attachedVolumes: [{ id: 'root-volume', status: 'in-use' }, { id: 'data', status: 'available' }] }
    assert.throws(() => decideRescue(bfvFacts({ ...volumes, allowBfvRescue: false })), (error: unknown) => error instanceof Conflict
      && error.message === "Invalid volume: volume 'data' status must be 'in-use'. Currently in 'available' status")
    assert.throws(() => decideRescue(bfvFacts({ ...volumes, requestedImageRef: 'gone' })), UnsupportedRescueImage)
  })

  test('volume-backed: below 2.87 refused, naming the microversion and how to ask for 2.87', () => {
    assert.throws(() => decideRescue(bfvFacts({ allowBfvRescue: false, microversion: '2.86' })), (error: unknown) => error instanceof InstanceNotRescuable
      && error.message.startsWith('Instance server-1 cannot be rescued: Cannot rescue a volume-backed instance. Missing: this request used compute API microversion 2.86')
      && error.message.includes('--os-compute-api-version 2.87'))
  })

  test('volume-backed: an image lacking hw_rescue_bus, or no image at all, names what is missing', () => {
    assert.throws(() => decideRescue(bfvFacts({ requestedImageRef: 'd', requestedImage: image('d', { hw_rescue_device: 'disk' }) })),
      (error: unknown) => error instanceof InstanceNotRescuable && /the rescue image d lacks hw_rescue_bus\.$/.test(error.message))
    assert.throws(() => decideRescue(bfvFacts({ rootVolumeImageMetadata: null })),
      (error: unknown) => error instanceof InstanceNotRescuable && /the rescue image \(none\) lacks hw_rescue_device and hw_rescue_bus/.test(error.message))
  })

  test('volume-backed: a host without COMPUTE_RESCUE_BFV is refused with Nova\'s reason, naming the trait', () => {
    assert.throws(() => decideRescue(bfvFacts({ hostTraits: HOST_TRAITS.filter((t) => t !== 'COMPUTE_RESCUE_BFV') })), (error: unknown) => error instanceof InstanceNotRescuable
      && error.message === 'Instance server-1 cannot be rescued: Host unable to rescue a volume-backed instance. Missing: host host-1 does not report trait COMPUTE_RESCUE_BFV.')
  })

  test('volume-backed at 2.87 with both properties and the trait: stable rescue with the decided device and bus', () => {
    const decision = decideRescue(bfvFacts({ requestedImageRef: 'r', requestedImage: image('r', { hw_rescue_device: 'cdrom', hw_rescue_bus: 'scsi' }) }))
    assert.deepEqual(decision, { imageId: 'r', mode: 'stable', device: 'cdrom', bus: 'scsi' })
  })
})
