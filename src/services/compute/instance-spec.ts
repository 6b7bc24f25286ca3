import type { InstanceSpecDeps } from './ports.js'
import type { ConfigDriveSpec, DiskBus, DiskFormat, DiskSpec, DeviceType, InstanceSpec, NicSpec } from '../../virt/virt-driver.js'
import type { InstanceDetails } from './instance-store.js'
import { deviceNameAt } from './block-device-mappings.js'
import { networkDataFor } from './network-metadata.js'

/** Nova's `[api] dhcp_domain` default: the metadata's hostname is `<hostname>.novalocal`. */
const DHCP_DOMAIN = 'novalocal'

function diskFormatOf(format: string | null | undefined): DiskFormat {
  return format === 'raw' ? 'raw' : 'qcow2'
}

/** `hw_*` image properties of the server's image, from its system metadata. */
export function instanceImageProperties(details: InstanceDetails): Record<string, string> {
  const system = JSON.parse(details.row.system_metadata) as Record<string, string>
  return Object.fromEntries(Object.entries(system).filter(([k]) => k.startsWith('image_')).map(([k, v]) => [k.slice(6), v]))
}

/**
 * The config drive of a server, as Nova's `InstanceMetadata` writes
 * `meta_data.json` (nova/api/metadata/base.py): uuid, meta, public_keys and
 * keys (the server's, or a rescue's own key), hostname with the DHCP domain,
 * name, launch_index, availability_zone, project_id, devices, and
 * `admin_pass` for a rescue with a password (Nova's rescue `extra_md`); the
 * user data decoded; `network_data.json` from the NICs. No `random_seed`:
 * the drive stays the same from boot to boot (and is not rebuilt). Pure.
 */
export function configDriveFor(details: InstanceDetails, keys: Array<{ name: string; publicKey: string }>, nics: NicSpec[] = [], adminPass: string | null = null): ConfigDriveSpec {
  const row = details.row
  const publicKeys = Object.fromEntries(keys.map((k) => [k.name, k.publicKey]))
  return {
    metaData: {
      uuid: row.uuid, name: row.display_name, hostname: `${row.hostname}.${DHCP_DOMAIN}`, launch_index: row.launch_index,
      availability_zone: row.availability_zone ?? 'nova', project_id: row.project_id, meta: details.metadata,
      public_keys: publicKeys, keys: keys.map((k) => ({ name: k.name, type: 'ssh', data: k.publicKey })), devices: [],
      ...(adminPass ? { admin_pass: adminPass } : {}),
    },
    userData: row.user_data ? Buffer.from(row.user_data, 'base64').toString('utf8') : null,
    networkData: { ...networkDataFor(nics) },
  }
}

/** The server's own keys for its config drive. */
export function ownKeys(details: InstanceDetails): Array<{ name: string; publicKey: string }> {
  return details.row.key_name && details.row.key_data ? [{ name: details.row.key_name, publicKey: details.row.key_data }] : []
}

/**
 * What the driver needs to run this instance, built from the database at the
 * moment a task is leased: disks in their original order (root first), with
 * image and volume files resolved, and the config drive last.
 */
export async function buildInstanceSpec(deps: InstanceSpecDeps, details: InstanceDetails): Promise<InstanceSpec> {
  const disks: DiskSpec[] = []
  const ordered = [...details.bdms].sort((a, b) => (a.boot_index === 0 ? -1 : b.boot_index === 0 ? 1 : a.position - b.position))
  let ephemeralIndex = 0
  for (const bdm of ordered) {
    const deviceType = (['disk', 'cdrom', 'floppy'].includes(bdm.device_type) ? bdm.device_type : 'disk') as DeviceType
    const bus = bdm.disk_bus as DiskBus
    const isRoot = bdm.boot_index === 0
    if (bdm.destination_type === 'volume') {
      if (!bdm.volume_id) continue
      const volume = await deps.volumes.findVolume(bdm.volume_id)
      if (!volume) continue
      const target = deps.volumes.volumeTarget ? await deps.volumes.volumeTarget(volume) : { path: volume.backingPath, format: volume.backingFormat }
      disks.push({
        name: `volume-${bdm.volume_id}`, role: isRoot ? 'root' : 'volume', deviceType, bus, deviceName: bdm.device_name, bootIndex: isRoot ? 0 : null,
        source: { kind: 'volume', volumeId: volume.id, path: target.path, format: target.format },
      })
    } else if (bdm.source_type === 'image' && bdm.image_id) {
      const image = await deps.images.findImage(bdm.image_id)
      disks.push({
        name: 'root', role: 'root', deviceType, bus, deviceName: bdm.device_name, bootIndex: 0,
        source: { kind: 'image', imageId: bdm.image_id, imagePath: image ? deps.images.imageFilePath(bdm.image_id) : '', format: diskFormatOf(image?.diskFormat), sizeGb: details.flavor.disk },
      })
    } else if (bdm.source_type === 'blank') {
      const swap = bdm.guest_format === 'swap'
      disks.push({
        name: swap ? 'swap' : `ephemeral${ephemeralIndex++}`, role: swap ? 'swap' : 'ephemeral', deviceType, bus, deviceName: bdm.device_name,
        bootIndex: null, source: { kind: 'blank', sizeGb: bdm.volume_size ?? (swap ? Math.ceil(details.flavor.swap / 1024) : details.flavor.ephemeral) },
      })
    }
  }
  const rootIsLocal = ordered.some((b) => b.boot_index === 0 && b.destination_type === 'local')
  if (rootIsLocal && details.flavor.ephemeral > 0 && ephemeralIndex === 0) {
    disks.push({ name: 'ephemeral0', role: 'ephemeral', deviceType: 'disk', bus: 'virtio', deviceName: deviceNameAt(disks.length), bootIndex: null, source: { kind: 'blank', sizeGb: details.flavor.ephemeral } })
  }
  if (rootIsLocal && details.flavor.swap > 0 && !disks.some((d) => d.role === 'swap')) {
    disks.push({ name: 'swap', role: 'swap', deviceType: 'disk', bus: 'virtio', deviceName: deviceNameAt(disks.length), bootIndex: null, source: { kind: 'blank', sizeGb: Math.max(1, Math.ceil(details.flavor.swap / 1024)) } })
  }
  // Lifeboat has no metadata service: every server gets a config drive (Nova's force_config_drive).
  disks.push({ name: 'config', role: 'config-drive', deviceType: 'cdrom', bus: 'ide', deviceName: '/dev/hdd', bootIndex: null, source: { kind: 'config-drive' } })
  // The server's ports, as they are now: rescue and unrescue render the same NICs (same MAC, same IP).
  const nics = await deps.network.nics(details.row.uuid)
  return {
    instanceId: details.row.uuid,
    name: details.row.display_name,
    vcpus: details.flavor.vcpus,
    memoryMb: details.flavor.ram,
    disks,
    configDrive: configDriveFor(details, ownKeys(details), nics),
    imageProperties: instanceImageProperties(details),
    nics,
  }
}
