/**
 * Value types the agent API carries: the instance and the host as the
 * control plane and an agent describe them to each other. They mirror the
 * driver's value types in `src/virt/virt-driver.ts` field for field; the
 * compiler checks that where the agent hands them to its driver and where
 * the control plane builds them, so the two cannot drift apart.
 */
import { Type, type Static } from '@sinclair/typebox'

/** A string-keyed map of strings (image properties, metadata). */
export const StringMap = Type.Record(Type.String(), Type.String())

/** Buses a disk can sit on (Nova's `hw_disk_bus` / `hw_rescue_bus` values, plus `fdc` for floppies). */
export const DiskBusSchema = Type.Union([
  Type.Literal('virtio'), Type.Literal('scsi'), Type.Literal('ide'), Type.Literal('sata'), Type.Literal('usb'), Type.Literal('fdc'),
])
export type DiskBus = Static<typeof DiskBusSchema>

/** Device types (Nova's `hw_rescue_device` values). */
export const DeviceTypeSchema = Type.Union([Type.Literal('disk'), Type.Literal('cdrom'), Type.Literal('floppy')])
export type DeviceType = Static<typeof DeviceTypeSchema>

/** Formats of disk files (images, volumes, snapshots). */
export const DiskFormatSchema = Type.Union([Type.Literal('raw'), Type.Literal('qcow2')])
export type DiskFormat = Static<typeof DiskFormatSchema>

/** `stable` keeps every original disk at its address; `legacy` puts the rescue disk first and the root second. */
export const RescueModeSchema = Type.Union([Type.Literal('stable'), Type.Literal('legacy')])
export type RescueMode = Static<typeof RescueModeSchema>

/** Where a disk's data comes from (see `DiskSource` in the driver; a volume's `path` may be an `nbd://` URL). */
export const DiskSourceSchema = Type.Union([
  Type.Object({ kind: Type.Literal('image'), imageId: Type.String(), imagePath: Type.String(), format: DiskFormatSchema, sizeGb: Type.Number() }),
  Type.Object({ kind: Type.Literal('blank'), sizeGb: Type.Number() }),
  Type.Object({ kind: Type.Literal('volume'), volumeId: Type.String(), path: Type.String(), format: DiskFormatSchema }),
  Type.Object({ kind: Type.Literal('config-drive') }),
])

/** One disk of a domain, in the instance's original order. */
export const DiskSpecSchema = Type.Object({
  name: Type.String(),
  role: Type.Union([Type.Literal('root'), Type.Literal('ephemeral'), Type.Literal('swap'), Type.Literal('volume'), Type.Literal('config-drive'), Type.Literal('rescue')]),
  source: DiskSourceSchema,
  deviceType: DeviceTypeSchema,
  bus: DiskBusSchema,
  deviceName: Type.String(),
  bootIndex: Type.Union([Type.Integer(), Type.Null()]),
})
export type DiskSpec = Static<typeof DiskSpecSchema>

/** What the config drive (ISO 9660, label `config-2`) carries. */
export const ConfigDriveSpecSchema = Type.Object({
  metaData: Type.Record(Type.String(), Type.Unknown()),
  userData: Type.Union([Type.String(), Type.Null()]),
  networkData: Type.Record(Type.String(), Type.Unknown()),
})
export type ConfigDriveSpec = Static<typeof ConfigDriveSpecSchema>

/** An inbound TCP forward realising a floating IP: `hostAddress:hostPort` on the agent's host → the guest's `guestPort`. */
export const PortForwardSchema = Type.Object({
  protocol: Type.Literal('tcp'),
  hostAddress: Type.String(),
  hostPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  guestPort: Type.Integer({ minimum: 1, maximum: 65535 }),
})
export type PortForward = Static<typeof PortForwardSchema>

/**
 * One NIC of a guest: a network-service port as the data plane realises it.
 * The control plane decides every value (IPAM, MAC, which forwards the
 * security groups allow); the agent only plugs it.
 */
export const NicSpecSchema = Type.Object({
  portId: Type.String(),
  networkId: Type.String(),
  mac: Type.String(),
  /** The port's fixed IPv4 address, its subnet in CIDR form and the subnet's gateway (null: none). */
  ip: Type.String(),
  cidr: Type.String(),
  gateway: Type.Union([Type.String(), Type.Null()]),
  /** The address the guest's DHCP names as its DNS server (in the subnet, never a port's or the gateway's address). */
  dnsAddress: Type.Union([Type.String(), Type.Null()]),
  mtu: Type.Integer({ minimum: 68 }),
  /** Inbound forwards of the port's floating IPs, as its security groups allow them. */
  forwards: Type.Array(PortForwardSchema),
})
export type NicSpec = Static<typeof NicSpecSchema>

/** Everything a driver needs to run an instance. */
export const InstanceSpecSchema = Type.Object({
  instanceId: Type.String(),
  name: Type.String(),
  vcpus: Type.Integer(),
  memoryMb: Type.Integer(),
  disks: Type.Array(DiskSpecSchema),
  configDrive: Type.Union([ConfigDriveSpecSchema, Type.Null()]),
  imageProperties: StringMap,
  /** The guest's NICs in the order Nova gives its VIFs (empty: no network). */
  nics: Type.Array(NicSpecSchema),
})
export type InstanceSpec = Static<typeof InstanceSpecSchema>

/** The host, as the agent reports it (hypervisor view and placement inventory). */
export const HostInfoSchema = Type.Object({
  hypervisorType: Type.String({ maxLength: 255 }),
  hypervisorVersion: Type.Integer({ minimum: 0 }),
  acceleration: Type.String({ maxLength: 64 }),
  vcpus: Type.Integer({ minimum: 0 }),
  memoryMb: Type.Integer({ minimum: 0 }),
  diskGb: Type.Integer({ minimum: 0 }),
  cpuInfo: Type.Record(Type.String(), Type.Unknown()),
})
export type HostInfo = Static<typeof HostInfoSchema>
