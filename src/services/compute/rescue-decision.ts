/**
 * The rescue rule, in one place. The control plane decides the whole rescue
 * when it accepts the request — which image, which mode, which device on
 * which bus — and puts the decision in the task; the agent executes it and
 * never chooses again. Pure: it takes facts already loaded and returns the
 * decision, or throws the error the API answers with.
 */
import type { DeviceType, DiskBus, RescueMode } from '../../agent-api/index.js'
import { Conflict } from '../errors.js'
import { InstanceNotRescuable, UnsupportedRescueImage } from './compute-errors.js'
import { ServiceErrorCode } from '../error-codes.js'

/** An image as the decision needs it. */
export interface RescueImageFacts {
  id: string
  status: string
  properties: Record<string, string>
}

/** Everything the rule looks at, loaded by `rescueServer()`. */
export interface RescueFacts {
  instanceId: string
  host: string | null
  /** `rescue_image_ref` from the request, if any. */
  requestedImageRef: string | null
  /** The image it names, as the caller may see it; null when there is none. */
  requestedImage: RescueImageFacts | null
  /** The image the server was built from, with the properties recorded at boot; null for none (volume-backed). */
  ownImage: { id: string; properties: Record<string, string> } | null
  /** The root volume's `volume_image_metadata` (volume-backed servers); null when absent. */
  rootVolumeImageMetadata: Record<string, string> | null
  /** The operator's default rescue image (`compute.defaultRescueImage`), as found; null when unset or gone. */
  defaultImage: RescueImageFacts | null
  /** The root disk is a volume (Nova's `is_volume_backed_instance`). */
  volumeBacked: boolean
  /** Status of each attached volume, in the server's order. */
  attachedVolumes: Array<{ id: string; status: string }>
  /** Traits of the host's resource provider. */
  hostTraits: string[]
  /** The request's microversion is 2.87 or later (Nova's `allow_bfv_rescue`). */
  allowBfvRescue: boolean
  /** The microversion the request used, for error messages. */
  microversion: string
}

/** The rescue as decided: what the agent boots, and how. */
export interface RescueDecision {
  imageId: string
  mode: RescueMode
  device: DeviceType
  bus: DiskBus
}

const BFV_MICROVERSION = '2.87'
const RESCUE_DEVICES: readonly string[] = ['disk', 'cdrom', 'floppy']
const RESCUE_BUSES: readonly string[] = ['virtio', 'scsi', 'ide', 'sata', 'usb']

/** `volume_image_metadata` keys that describe the image record, not the guest: not image properties. */
const NOT_PROPERTIES = new Set(['image_id', 'image_name', 'checksum', 'container_format', 'disk_format', 'min_disk', 'min_ram', 'size'])

/**
 * The image a rescue boots (Nova's `_get_rescue_image`, extended):
 * 1. `rescue_image_ref` from the request — it must exist for the caller, be
 *    active, and not be made from a volume snapshot (Nova bug 1876330), else
 *    400 UnsupportedRescueImage;
 * 2. else the image the server was built from (its properties as recorded
 *    when it booted, like Nova's `instance.image_meta`);
 * 3. else, for a volume-backed server, the image recorded in the root
 *    volume's `volume_image_metadata`;
 * 4. else the operator's default rescue image, when it is active;
 * else none (null): `decideRescue()` refuses.
 */
export function chooseRescueImage(facts: RescueFacts): { imageId: string; properties: Record<string, string> } | null {
  if (facts.requestedImageRef) {
    const image = facts.requestedImage
    if (!image || image.status !== 'active') throw new UnsupportedRescueImage(facts.requestedImageRef)
    if (image.properties.block_device_mapping || image.properties.img_block_device_mapping) throw new UnsupportedRescueImage(facts.requestedImageRef)
    return { imageId: image.id, properties: image.properties }
  }
  if (facts.ownImage) {
    const properties = Object.fromEntries(Object.entries(facts.ownImage.properties).filter(([k]) => k !== 'base_image_ref' && k !== 'name'))
    return { imageId: facts.ownImage.id, properties }
  }
  const meta = facts.rootVolumeImageMetadata
  if (meta?.image_id) {
    return { imageId: meta.image_id, properties: Object.fromEntries(Object.entries(meta).filter(([k]) => !NOT_PROPERTIES.has(k))) }
  }
  if (facts.defaultImage?.status === 'active') return { imageId: facts.defaultImage.id, properties: facts.defaultImage.properties }
  return null
}

/** Stable device rescue when the image sets `hw_rescue_device` or `hw_rescue_bus`; legacy otherwise. */
export function rescueMode(properties: Record<string, string>): RescueMode {
  return properties.hw_rescue_device !== undefined || properties.hw_rescue_bus !== undefined ? 'stable' : 'legacy'
}

/** Nova's `_check_volume_status`: every attached volume must be `in-use` (409 otherwise). */
function assertVolumesInUse(facts: RescueFacts): void {
  for (const volume of facts.attachedVolumes) {
    if (volume.status !== 'in-use') throw new Conflict(`Invalid volume: volume '${volume.id}' status must be 'in-use'. Currently in '${volume.status}' status`, ServiceErrorCode.INVALID_VOLUME)
  }
}

/**
 * The seed spec's three conditions for rescuing a volume-backed server:
 * microversion 2.87+, both `hw_rescue_device` and `hw_rescue_bus` on the
 * rescue image, and `COMPUTE_RESCUE_BFV` on the host. Refusals keep Nova's
 * words and then name every condition that failed.
 */
function assertBfvRescueAllowed(facts: RescueFacts, properties: Record<string, string>, imageId: string | null): void {
  const missing: string[] = []
  if (!facts.allowBfvRescue) missing.push(`this request used compute API microversion ${facts.microversion}; rescuing a volume-backed server needs ${BFV_MICROVERSION} or later (openstack CLI: --os-compute-api-version ${BFV_MICROVERSION})`)
  const absent = ['hw_rescue_device', 'hw_rescue_bus'].filter((p) => properties[p] === undefined)
  if (absent.length > 0) missing.push(`the rescue image ${imageId ?? '(none)'} lacks ${absent.join(' and ')}`)
  if (!facts.hostTraits.includes('COMPUTE_RESCUE_BFV')) missing.push(`host ${facts.host ?? '(none)'} does not report trait COMPUTE_RESCUE_BFV`)
  if (missing.length === 0) return
  const novaReason = facts.allowBfvRescue && absent.length === 0 ? 'Host unable to rescue a volume-backed instance' : 'Cannot rescue a volume-backed instance'
  throw new InstanceNotRescuable(facts.instanceId, `${novaReason}. Missing: ${missing.join('; ')}.`)
}

/**
 * Device and bus of the rescue disk. Legacy mode: a virtio disk. Stable
 * mode: `hw_rescue_device` (default disk) on `hw_rescue_bus` (Nova's
 * defaults: virtio for a disk, ide for a cdrom, fdc for a floppy — refused,
 * as a floppy can't hold a rescue system), checked against the host's
 * storage-bus traits when it reports any.
 */
export function rescueDeviceAndBus(properties: Record<string, string>, imageId: string, hostTraits: string[]): { device: DeviceType; bus: DiskBus } {
  if (rescueMode(properties) === 'legacy') return { device: 'disk', bus: 'virtio' }
  const device = properties.hw_rescue_device ?? 'disk'
  if (!RESCUE_DEVICES.includes(device)) throw new UnsupportedRescueImage(imageId, `hw_rescue_device ${device} is not one of disk, cdrom, floppy`)
  const bus = properties.hw_rescue_bus ?? (device === 'cdrom' ? 'ide' : device === 'floppy' ? 'fdc' : 'virtio')
  if (device === 'floppy' || bus === 'fdc') throw new UnsupportedRescueImage(imageId, 'floppy rescue devices are not supported (a floppy cannot hold a rescue system)')
  if (!RESCUE_BUSES.includes(bus)) throw new UnsupportedRescueImage(imageId, `hw_rescue_bus ${bus} is not one of virtio, scsi, ide, sata, usb`)
  if (hostTraits.length > 0 && !hostTraits.includes(`COMPUTE_STORAGE_BUS_${bus.toUpperCase()}`)) {
    throw new UnsupportedRescueImage(imageId, `the host has no ${bus} bus (trait COMPUTE_STORAGE_BUS_${bus.toUpperCase()})`)
  }
  return { device: device as DeviceType, bus: bus as DiskBus }
}

/**
 * Decides a rescue, checking in Nova's order: the requested image (400),
 * attached volumes in-use (409), the volume-backed conditions (400), that
 * there is an image at all (400), then the rescue device and bus (400).
 */
export function decideRescue(facts: RescueFacts): RescueDecision {
  const chosen = chooseRescueImage(facts)
  assertVolumesInUse(facts)
  if (facts.volumeBacked) assertBfvRescueAllowed(facts, chosen?.properties ?? {}, chosen?.imageId ?? null)
  if (!chosen) throw new InstanceNotRescuable(facts.instanceId, 'no rescue image: the request names none and the server has no image')
  const { device, bus } = rescueDeviceAndBus(chosen.properties, chosen.imageId, facts.hostTraits)
  return { imageId: chosen.imageId, mode: rescueMode(chosen.properties), device, bus }
}
