import { InvalidRequest } from '../errors.js'
import { deviceLetters } from '../../virt/disk-layout.js'
import { isTrueString } from '../../util/bool-string.js'

/** One `block_device_mapping_v2` entry as the API accepts it (boot_index may be a string, as Tempest sends). */
export interface BdmRequest {
  source_type?: string
  destination_type?: string
  boot_index?: number | string | null
  uuid?: string
  volume_size?: number | string | null
  delete_on_termination?: boolean | string
  device_name?: string | null
  device_type?: string | null
  disk_bus?: string | null
  guest_format?: string | null
  tag?: string | null
  volume_type?: string | null
  no_device?: boolean | null
}

/** A validated mapping, before it gets an id and a device name. */
export interface PlannedBdm {
  bootIndex: number | null
  sourceType: 'image' | 'volume' | 'snapshot' | 'blank'
  destinationType: 'local' | 'volume'
  deviceType: 'disk' | 'cdrom' | 'floppy' | 'lun'
  diskBus: string | null
  guestFormat: string | null
  imageId: string | null
  volumeId: string | null
  snapshotId: string | null
  volumeSize: number | null
  deleteOnTermination: boolean
  tag: string | null
}

function parseBootIndex(value: BdmRequest['boot_index']): number | null {
  if (value === undefined || value === null || value === '' || value === 'None') return null
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isInteger(n)) throw new InvalidRequest(`Invalid input for field/attribute boot_index. Value: ${value}.`)
  return n < 0 ? null : n
}

function parseBool(value: boolean | string | undefined): boolean {
  if (typeof value === 'boolean') return value
  if (value === undefined) return false
  return isTrueString(value)
}

function parseSize(value: BdmRequest['volume_size']): number | null {
  if (value === undefined || value === null || value === '') return null
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidRequest(`Invalid input for field/attribute volume_size. Value: ${value}.`)
  return n
}

/**
 * Validates `block_device_mapping_v2` as Nova does (`_check_and_transform_bdm`
 * and `_validate_bdm`) and adds the image root when `imageRef` is given and no
 * mapping has boot index 0. The root comes first.
 */
export function planBlockDeviceMappings(requests: BdmRequest[], imageRef: string | null): PlannedBdm[] {
  const planned: PlannedBdm[] = requests.filter((r) => !r.no_device).map((r) => {
    const sourceType = (r.source_type ?? (r.uuid ? 'volume' : 'blank')) as PlannedBdm['sourceType']
    if (!['image', 'volume', 'snapshot', 'blank'].includes(sourceType)) throw new InvalidRequest(`Invalid input for field/attribute source_type. Value: ${r.source_type}.`)
    const destinationType = (r.destination_type ?? (sourceType === 'volume' || sourceType === 'snapshot' ? 'volume' : 'local')) as PlannedBdm['destinationType']
    if (!['local', 'volume'].includes(destinationType)) throw new InvalidRequest(`Invalid input for field/attribute destination_type. Value: ${r.destination_type}.`)
    const deviceType = (r.device_type ?? 'disk') as PlannedBdm['deviceType']
    if (!['disk', 'cdrom', 'floppy', 'lun'].includes(deviceType)) throw new InvalidRequest(`Invalid input for field/attribute device_type. Value: ${r.device_type}.`)
    const bdm: PlannedBdm = {
      bootIndex: parseBootIndex(r.boot_index), sourceType, destinationType, deviceType, diskBus: r.disk_bus ?? null,
      guestFormat: r.guest_format ?? null, imageId: sourceType === 'image' ? r.uuid ?? null : null,
      volumeId: sourceType === 'volume' ? r.uuid ?? null : null, snapshotId: sourceType === 'snapshot' ? r.uuid ?? null : null,
      volumeSize: parseSize(r.volume_size), deleteOnTermination: parseBool(r.delete_on_termination), tag: r.tag ?? null,
    }
    if (sourceType !== 'blank' && !r.uuid) throw new InvalidRequest('Block Device Mapping is Invalid: Missing device UUID.')
    if ((sourceType === 'volume' || sourceType === 'snapshot') && destinationType !== 'volume') {
      throw new InvalidRequest('Block Device Mapping is Invalid: Mapping image to local is not supported.')
    }
    if (destinationType === 'volume' && (sourceType === 'image' || sourceType === 'blank') && !bdm.volumeSize) {
      throw new InvalidRequest('Block Device Mapping is Invalid: You specified more local devices than the limit allows')
    }
    if (sourceType === 'image' && destinationType === 'local' && bdm.bootIndex !== 0) {
      throw new InvalidRequest('Block Device Mapping is Invalid: Mapping image to local is not supported.')
    }
    if (sourceType === 'blank' && destinationType === 'local' && bdm.bootIndex === 0) {
      throw new InvalidRequest('Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.')
    }
    return bdm
  })
  const roots = planned.filter((b) => b.bootIndex === 0)
  if (roots.length > 1) throw new InvalidRequest('Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.')
  const bootIndexes = planned.map((b) => b.bootIndex).filter((i): i is number => i !== null).sort((a, b) => a - b)
  if (bootIndexes.some((value, index) => value !== index)) {
    throw new InvalidRequest('Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.')
  }
  if (roots.length === 0) {
    if (!imageRef) throw new InvalidRequest('Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.')
    planned.unshift({
      bootIndex: 0, sourceType: 'image', destinationType: 'local', deviceType: 'disk', diskBus: null, guestFormat: null,
      imageId: imageRef, volumeId: null, snapshotId: null, volumeSize: null, deleteOnTermination: true, tag: null,
    })
  }
  return [...planned.filter((b) => b.bootIndex === 0), ...planned.filter((b) => b.bootIndex !== 0)]
}

/** `/dev/vda`, `/dev/vdb`… in order. */
export function deviceNameAt(index: number): string {
  return `/dev/vd${deviceLetters(index)}`
}
