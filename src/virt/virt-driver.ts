/**
 * The boundary between the compute agent and a hypervisor. Drivers know
 * nothing of OpenStack or the database: they take value types and act.
 * Method names are the manager's verbs (spawn, powerOff, rescue, unrescue).
 */
import type { Duplex } from 'node:stream'

import { DriverErrorCode } from './error-codes.js'

/** Buses a disk can sit on (Nova's `hw_disk_bus` / `hw_rescue_bus` values, plus `fdc` for floppies). */
export type DiskBus = 'virtio' | 'scsi' | 'ide' | 'sata' | 'usb' | 'fdc'

/** Device types (Nova's `hw_rescue_device` values). */
export type DeviceType = 'disk' | 'cdrom' | 'floppy'

export type DiskFormat = 'raw' | 'qcow2'
export type DiskRole = 'root' | 'ephemeral' | 'swap' | 'volume' | 'config-drive' | 'rescue'
export type MachineType = 'pc' | 'q35'

/** Where a disk's data comes from. */
export type DiskSource =
  /** A root (or rescue) disk made as a copy-on-write overlay of an image file, grown to `sizeGb` (0 = image size). */
  | { kind: 'image'; imageId: string; imagePath: string; format: DiskFormat; sizeGb: number }
  /** A new empty disk (ephemeral, swap). */
  | { kind: 'blank'; sizeGb: number }
  /**
   * A volume of the volume service, attached as is: `path` is its file, or
   * with the NBD transport an `nbd://host:port/export` URL (then `format` is
   * `raw`: the storage daemon opens the file's format).
   */
  | { kind: 'volume'; volumeId: string; path: string; format: DiskFormat }
  /** The config drive the driver builds from the instance's `configDrive`. */
  | { kind: 'config-drive' }

/** One disk of a domain, in the instance's original order. */
export interface DiskSpec {
  /** Stable name inside the domain: `root`, `ephemeral0`, `swap`, `volume-<id>`, `config`, `rescue`. */
  name: string
  role: DiskRole
  source: DiskSource
  deviceType: DeviceType
  bus: DiskBus
  /** The guest device name Nova reports, e.g. `/dev/vda`. */
  deviceName: string
  /** Boot priority (0 boots first); null for no boot priority. */
  bootIndex: number | null
}

/** What the config drive (ISO 9660, label `config-2`) carries. */
export interface ConfigDriveSpec {
  /** `openstack/latest/meta_data.json`: uuid, name, hostname, public_keys, keys, meta, … */
  metaData: Record<string, unknown>
  /** `openstack/latest/user_data`, decoded. */
  userData: string | null
  networkData: Record<string, unknown>
}

/** An inbound TCP forward realising a floating IP: `hostAddress:hostPort` on this host → the guest's `guestPort`. */
export interface PortForward {
  protocol: 'tcp'
  hostAddress: string
  hostPort: number
  guestPort: number
}

/** One NIC: a network-service port as the data plane realises it (src/agent-api/values.ts NicSpecSchema). */
export interface NicSpec {
  portId: string
  networkId: string
  mac: string
  /** The port's fixed IPv4 address, its subnet in CIDR form and the subnet's gateway (null: none). */
  ip: string
  cidr: string
  gateway: string | null
  /** The address the guest's DHCP names as its DNS server (in the subnet, never a port's or the gateway's address). */
  dnsAddress: string | null
  mtu: number
  /** Inbound forwards of the port's floating IPs, as its security groups allow them. */
  forwards: PortForward[]
}

/** Everything a driver needs to run an instance. */
export interface InstanceSpec {
  instanceId: string
  name: string
  vcpus: number
  memoryMb: number
  /** Disks in their original order; the driver keeps this order and their addresses. */
  disks: DiskSpec[]
  configDrive: ConfigDriveSpec | null
  /** Image properties of the server's image (e.g. `os_shutdown_timeout`), all strings. */
  imageProperties: Record<string, string>
  /** The guest's NICs in the order Nova gives its VIFs (empty: no network). */
  nics: NicSpec[]
}

/** A rescue request, after the agent chose the rescue image and the mode. */
export interface RescueSpec {
  instance: InstanceSpec
  /** `stable` keeps every original disk at its address; `legacy` puts the rescue disk first and the root second. */
  mode: 'stable' | 'legacy'
  rescueImage: { imageId: string; path: string; format: DiskFormat; properties: Record<string, string> }
  rescueDevice: DeviceType
  rescueBus: DiskBus
  /** The config drive the rescue boots with (it carries the rescue key). */
  rescueConfigDrive: ConfigDriveSpec | null
  /** A rescue run: the driver gives the guest its result channel (QEMU: a second serial port, ttyS1). */
  run?: RescueRunSpec
  /** Keep a snapshot of the root before the rescue disk boots (for `lifeboat:discard`). */
  snapshotRoot: boolean
}

/** Nova's power states (nova/compute/power_state.py). */
export const PowerState = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const
export type PowerState = (typeof PowerState)[keyof typeof PowerState]

/** A device as a driver placed it: the exact layout tests and operators can inspect. */
export interface PlannedDevice {
  name: string
  role: DiskRole
  deviceType: DeviceType
  bus: DiskBus
  /** Controller and slot, e.g. `pci:0x04` (virtio), `scsi0:0:1`, `ide:1:0`, `sata0:0`, `usb0:1`, `fdc:0`. */
  address: string
  bootIndex: number | null
  /** The guest's name for it as the guest kernel will see it (`vda`, `sda`, `sr0`, `fd0`). */
  guestName: string
  /** What the device reads: a file path, or a description for the fake driver. */
  source: string
  readOnly: boolean
}

/** A script run in a rescue (docs/rescue-runs.md): its nonce (hex) marks the one result frame to take. */
export interface RescueRunSpec {
  nonce: string
  script: string
  timeoutSeconds: number
}

/** What came back on a rescue run's result channel (null: nothing before the deadline). */
export interface RescueRunOutcome {
  exitStatus: number
  output: string
  outputTruncated: boolean
  durationMs: number
  timedOut: boolean
}

/** The layout of a domain at a moment (normal or rescue). */
export interface DomainLayout {
  machineType: MachineType
  devices: PlannedDevice[]
}

/** What a driver knows of one of its domains. */
export interface DomainInfo {
  instanceId: string
  powerState: PowerState
  rescued: boolean
  layout: DomainLayout
}

/** What a driver can do; mapped to placement traits by `capabilityTraits()`. */
export interface DriverCapabilities {
  supportsBfvRescue: boolean
  rescueBuses: DiskBus[]
  rescueDevices: DeviceType[]
  supportsVolumeAttach: boolean
  supportsVolumeExtend: boolean
  imageFormats: DiskFormat[]
}

/** The host, as the agent reports it (hypervisor view and placement inventory). */
export interface HostInfo {
  hypervisorType: string
  hypervisorVersion: number
  /** `tcg`, `kvm`, or `none` (fake). */
  acceleration: string
  vcpus: number
  memoryMb: number
  diskGb: number
  cpuInfo: Record<string, unknown>
}

/** Thrown by drivers; wraps the original error in `cause`. */
/** Where a live migration's destination waits: its NBD server (one export per local disk) and its RAM listener. */
export interface IncomingMigration {
  /** The address the destination listens on (its agent's registered host_ip). */
  host: string
  nbdPort: number
  migrationPort: number
  /** Disk name → NBD export name. */
  exports: Record<string, string>
}

/** What the source saw of a finished live migration (for the bench and logs). */
export interface LiveMigrationStats {
  /** ms from the first mirror to the RAM transfer completed. */
  totalMs: number
  /** ms the guest was paused for the switch-over (QMP `query-migrate` `downtime`), null when unknown. */
  downtimeMs: number | null
}

/** Where a cold migration's source serves the stopped guest's disks, and the driver's own description of the domain. */
export interface OutgoingMigration {
  /** The address the source serves on (its agent's registered host_ip). */
  host: string
  nbdPort: number
  /** Disk file key → NBD export name. */
  exports: Record<string, string>
  /** Opaque to everyone but the driver: what the destination needs to define the same domain (layout, a rescue's state). */
  state: Record<string, unknown>
}

export class DriverError extends Error {
  /** A code of `DriverErrorCode` (`LB_DRIVER_ERROR` when nothing more specific). */
  readonly code: DriverErrorCode
  constructor(message: string, options?: { cause?: unknown; code?: DriverErrorCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'DriverError'
    this.code = options?.code ?? DriverErrorCode.DRIVER_ERROR
  }
}

/** Where a driver logs what it swallows (clean-up that failed after another failure); an agent's log fits. */
export interface DriverLog {
  warn(fields: Record<string, unknown>, message: string): void
}

/** A DriverLog that drops every line. */
export const SILENT_DRIVER_LOG: DriverLog = { warn: () => undefined }

/**
 * A hypervisor driver. Every method acts on one instance and is called by one
 * task at a time for that instance (the agent serialises per instance).
 */
export interface VirtDriver {
  /** `fake` or `qemu`. */
  readonly name: string
  readonly capabilities: DriverCapabilities
  /** Prepares the driver (state folder, probes); finds domains that survived a restart. */
  init(): Promise<void>
  hostInfo(): Promise<HostInfo>
  /** Every domain the driver knows, with its real power state (reconciled with the processes). */
  listDomains(): Promise<DomainInfo[]>
  getDomain(instanceId: string): Promise<DomainInfo | null>
  /** Creates the disks and the config drive and boots the instance. */
  spawn(spec: InstanceSpec): Promise<void>
  /**
   * Stops the instance hard and removes it with its local disks (never
   * volumes). `keepDisks` names local disks whose files stay (a rebuild with
   * `preserve_ephemeral`): the next `spawn` boots with them as they are.
   */
  destroy(instanceId: string, options?: { keepDisks?: readonly string[] }): Promise<void>
  /** Clean shutdown: ACPI power button, wait up to `timeoutSeconds`, then power off hard. */
  powerOff(instanceId: string, options: { timeoutSeconds: number }): Promise<void>
  /** Boots a stopped instance in its normal layout. */
  powerOn(spec: InstanceSpec): Promise<void>
  reboot(spec: InstanceSpec, kind: 'SOFT' | 'HARD', options: { timeoutSeconds: number }): Promise<void>
  pause(instanceId: string): Promise<void>
  unpause(instanceId: string): Promise<void>
  /** Injects an NMI into a running guest (Nova's `trigger_crash_dump`). */
  triggerCrashDump(instanceId: string): Promise<void>
  /** Saves the running state so the instance uses no CPU; `resume` brings it back. */
  suspend(instanceId: string): Promise<void>
  resume(spec: InstanceSpec): Promise<void>
  /** The serial console log; the last `maxLines` lines when given. */
  getConsoleOutput(instanceId: string, maxLines?: number): Promise<string>
  /** Copies the root disk (flattened) to `targetPath` in `format`. */
  snapshot(instanceId: string, target: { path: string; format: DiskFormat }): Promise<void>
  /** Attaches `disk` (already appended to `spec.disks`) to the instance, live or for the next boot. */
  attachVolume(spec: InstanceSpec, disk: DiskSpec): Promise<void>
  /** Detaches the disk named `diskName` (`spec.disks` no longer lists it). */
  detachVolume(spec: InstanceSpec, diskName: string): Promise<void>
  /**
   * Plugs the NIC of port `portId` (already in `spec.nics`) into the running
   * (or paused) guest, with its forwards; a guest that does not run gets it
   * at its next boot, from the spec. Plugging a NIC the guest has is a no-op.
   */
  attachInterface(spec: InstanceSpec, portId: string): Promise<void>
  /**
   * Unplugs the NIC of port `portId` (`spec.nics` no longer lists it) from
   * the running guest, which must release it (as on real hardware); a guest
   * that never does fails with `LB_DETACH_TIMEOUT` and keeps the NIC. A guest
   * that does not run boots without it next time.
   */
  detachInterface(spec: InstanceSpec, portId: string): Promise<void>
  /**
   * Shuts the instance down cleanly if it runs (a driver may prepare the
   * rescue disks meanwhile), calls `onShutDown` once it is down, and boots it
   * from the rescue disk (see RescueSpec.mode).
   */
  rescue(spec: RescueSpec, options: { timeoutSeconds: number; onShutDown?: () => void }): Promise<void>
  /**
   * Resize on this host (Nova's `migrate_disk_and_power_off` + `finish_migration`):
   * shuts the guest down, keeps its local disks as they are for a revert, grows
   * the root to `spec`'s size (never shrinks) and boots `spec` when `powerOn`.
   * Run again after a crash, it keeps the disks it kept the first time.
   */
  resize(spec: InstanceSpec, options: { timeoutSeconds: number; powerOn: boolean }): Promise<void>
  /** Drops the disks `resize` kept (Nova's `confirm_migration`); nothing kept is fine. */
  confirmResize(instanceId: string): Promise<void>
  /** Puts back the disks `resize` kept and boots `spec` (the old flavor) when `powerOn` (Nova's `finish_revert_migration`). */
  revertResize(spec: InstanceSpec, options: { timeoutSeconds: number; powerOn: boolean }): Promise<void>
  /**
   * Waits for the result frame of the run the rescue booted with (`spec.run`),
   * until `deadline` (epoch ms) at most; null when none came by then. Never
   * trusts the guest beyond the frame with the run's nonce.
   */
  awaitRescueRun(instanceId: string, run: RescueRunSpec, deadline: number): Promise<RescueRunOutcome | null>
  /** Live migration, destination: start `spec` paused, waiting for the RAM, its new local disks served for the source's mirrors. */
  prepareIncomingMigration?(spec: InstanceSpec, listenHost: string, rescue?: RescueSpec): Promise<IncomingMigration>
  /** Live migration, source: copy the local disks and the RAM to `target`, then stop here. */
  migrateLive?(spec: InstanceSpec, target: IncomingMigration, options: { forceComplete?: () => boolean }): Promise<LiveMigrationStats>
  /** Live migration, destination: the guest arrived; continue it (or keep it paused). */
  finishIncomingMigration?(instanceId: string, options: { paused: boolean }): Promise<void>
  /** Live migration, destination: remove what `prepareIncomingMigration` made. */
  abortIncomingMigration?(instanceId: string): Promise<void>
  /** Cold migration, source: shut the guest down (clean, then hard) and serve its disks read-only on `listenHost`. */
  exportForMigration?(spec: InstanceSpec, listenHost: string, options: { timeoutSeconds: number }): Promise<OutgoingMigration>
  /** Cold migration, destination: copy the disks `source` serves, define the domain as it was there (rescued too), boot it when `powerOn`. */
  importMigration?(spec: InstanceSpec, source: OutgoingMigration, options: { powerOn: boolean }): Promise<void>
  /** Cold migration, either host: stop serving; then `drop` this copy (domain and local disks), or boot it again as it was when `powerOn`. */
  releaseMigration?(spec: InstanceSpec, options: { drop: boolean; powerOn: boolean }): Promise<void>
  /** Removes the rescue disk and boots the original layout; `discardChanges` restores the root snapshot. */
  unrescue(spec: InstanceSpec, options: { discardChanges: boolean; timeoutSeconds: number }): Promise<void>
  /**
   * Makes the port forwards of the running guest's NICs those of `spec.nics`
   * (floating IPs, as security groups allow them), without a restart: the
   * ones gone are removed, the new ones added. A guest that does not run
   * gets them at its next boot (every boot applies the spec's forwards).
   * A forward whose host port is taken fails with `LB_HOST_PORT_BUSY`
   * after every other change is applied.
   */
  applyForwards(spec: InstanceSpec): Promise<void>
  /**
   * A new raw byte stream to the running guest's console (`serial`: the
   * serial port, what the guest writes and what it reads; `vnc`: an RFB
   * server stream). The agent holds one serial stream per guest and shares
   * it between viewers; it opens one VNC stream per viewer. Rejects with
   * `LB_CONSOLE_NOT_RUNNING` when the guest does not run and
   * `LB_CONSOLE_UNSUPPORTED` when the driver has no such console.
   */
  openConsole(instanceId: string, console: 'serial' | 'vnc'): Promise<Duplex>
}

/** The one table of capability → trait, like Nova's `CAPABILITY_TRAITS_MAP`. */
export function capabilityTraits(capabilities: DriverCapabilities): string[] {
  const traits = new Set<string>(['COMPUTE_NODE'])
  if (capabilities.supportsBfvRescue) traits.add('COMPUTE_RESCUE_BFV')
  if (capabilities.supportsVolumeAttach) traits.add('COMPUTE_VOLUME_ATTACH_WITH_TAG')
  if (capabilities.supportsVolumeExtend) traits.add('COMPUTE_VOLUME_EXTEND')
  for (const bus of capabilities.rescueBuses) traits.add(`COMPUTE_STORAGE_BUS_${bus.toUpperCase()}`)
  for (const format of capabilities.imageFormats) traits.add(`COMPUTE_IMAGE_TYPE_${format.toUpperCase()}`)
  return [...traits].sort()
}
