import type { LifeboatConfig } from '../../config.js'
import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { ImageRecord } from '../image/image-records.js'
import type { NewImage } from '../image/image-service.js'
import type { VolumeAttachmentRecord, VolumeRecord, VolumeSnapshotRecord } from '../volume/volume-records.js'
import type { InventoryRecord } from '../placement/placement-service.js'
import type { HostClaims, SchedulerDeps } from '../scheduler/scheduler.js'
import type { FlavorRecord } from './flavor-service.js'
import type { KeypairRecord } from './keypair-service.js'
import type { Db } from '../../db/schema.js'
import type { NetworksTable, PortsTable } from '../../db/tables/network-tables.js'
import type { NicSpec } from '../../agent-api/index.js'
import type { NicRequest, PortBinding, ServerAddresses, ServerPort } from '../network/server-ports.js'
import type { ConsoleTarget } from '../consoles/console-tokens.js'

/*
 * What the compute service needs of the other services, each as the few
 * methods it calls (Nova's `volume.cinder.API`, `image.glance.API`,
 * `scheduler.client.report`…). The services implement them; `createServices`
 * hands them in. Only record types come from the services' modules.
 */

export type { Store }

/** Any volume by id, no visibility check (the volume service). */
export interface VolumeLookup {
  findVolume(id: string): Promise<VolumeRecord | null>
  /** Where a hypervisor opens the volume (a file, or an `nbd://` URL); absent: its backing file. */
  volumeTarget?(volume: VolumeRecord): Promise<{ path: string; format: 'raw' | 'qcow2' }>
}

/** A server's volume attachments, as Nova drives Cinder's attachments API. */
export interface VolumeAttacher {
  reserveAttachment(volumeId: string, instanceId: string): Promise<VolumeAttachmentRecord>
  completeAttachment(attachmentId: string, input: { mountpoint: string; hostName: string }): Promise<VolumeAttachmentRecord>
  beginDetaching(volumeId: string): Promise<void>
  rollDetaching(volumeId: string): Promise<void>
  deleteAttachment(attachmentId: string): Promise<void>
}

/** Every volume call compute makes: look up, check, create for a build, attach, snapshot, delete on termination. */
export interface ServerVolumes extends VolumeLookup, VolumeAttacher {
  getVolume(auth: AuthContext, id: string): Promise<VolumeRecord>
  getSnapshot(auth: AuthContext, id: string): Promise<VolumeSnapshotRecord>
  createVolume(auth: AuthContext, input: { size: number; name?: string | null; imageRef?: string; snapshotId?: string; availabilityZone?: string }): Promise<VolumeRecord>
  waitForVolume(id: string, timeoutMs: number): Promise<VolumeRecord>
  deleteVolumeInternal(id: string): Promise<void>
  createSnapshotInternal(volumeId: string, input: { name: string; force: boolean; projectId: string }): Promise<VolumeSnapshotRecord>
}

/** Images by id (any, or as the caller may see them) and where their data lives (the image service). */
export interface ImageLookup {
  findImage(id: string): Promise<ImageRecord | null>
  getImage(auth: AuthContext, id: string): Promise<ImageRecord>
  imageFilePath(id: string): string
}

/** Every image call compute makes: look up, and the snapshot image's life (created, filled, killed or removed). */
export interface ServerImages extends ImageLookup {
  createImageRecord(input: NewImage): Promise<ImageRecord>
  importImageFile(id: string, sourcePath: string): Promise<ImageRecord>
  killImage(id: string): Promise<void>
  deleteImageInternal(id: string): Promise<void>
}

/** A user's keypair by name (the keypair service). */
export interface KeypairLookup {
  findKeypair(userId: string, name: string): Promise<KeypairRecord | null>
}

/** A flavor the caller may see (the flavor service). */
export interface FlavorLookup {
  getFlavor(auth: AuthContext, id: string): Promise<FlavorRecord>
}

/** A server's security groups (the security group service). */
export interface ServerSecurityGroups {
  ensureDefaultGroup(projectId: string): Promise<string>
  addToServer(auth: AuthContext, instanceUuid: string, groupName: string): Promise<void>
  removeFromServer(auth: AuthContext, instanceUuid: string, groupName: string): Promise<void>
}

/**
 * What Nova asks of Neutron (`nova/network/neutron.py` `API`), answered by
 * the network service's `ServerPorts`: the networks a project may boot on,
 * a boot's ports checked, then ports created and bound for a server, their
 * status while it runs, its live addresses and NICs, and their release.
 */
export interface ServerNetworks {
  /** `_get_available_networks`: the project's own non-shared networks and the shared ones; with `ids`, those the caller can see. */
  availableNetworks(auth: AuthContext, ids?: string[]): Promise<NetworksTable[]>
  subnetCounts(networkIds: string[]): Promise<Map<string, number>>
  /** The project's port quota and the ports it has (Nova's show_quota + list_ports), or null when unlimited. */
  portQuota(projectId: string): Promise<{ limit: number; used: number } | null>
  /** A port of the caller's project (admin: any) with its fixed IPs, or null. */
  findPort(auth: AuthContext, portId: string): Promise<(PortsTable & { fixedIps: string[] }) | null>
  portWithAddress(networkId: string, address: string): Promise<{ portId: string; deviceId: string } | null>
  /** Creates a port per network request and binds each user port; returns the created ports' ids. */
  allocate(binding: PortBinding, nics: NicRequest[]): Promise<string[]>
  /** `allocate` inside the caller's transaction. */
  allocateIn(db: Db, binding: PortBinding, nics: NicRequest[]): Promise<string[]>
  /** At delete, in the deleting transaction: the server's ports go, except `keepPortIds` (the user's), which are unbound. */
  release(db: Db, instanceUuid: string, keepPortIds: string[]): Promise<void>
  unbind(db: Db, portId: string): Promise<void>
  /** The server's ports bound to `host` (`''`: unbound from any host, kept for the server: a shelve offload). */
  bindHost(db: Db, instanceUuid: string, host: string): Promise<void>
  remove(portId: string): Promise<void>
  /** `remove` inside the caller's transaction. */
  removeIn(db: Db, portId: string): Promise<void>
  setStatus(db: Db, instanceUuid: string, status: 'ACTIVE' | 'DOWN'): Promise<void>
  serverPorts(instanceUuid: string): Promise<ServerPort[]>
  addresses(instanceUuids: string[]): Promise<Map<string, ServerAddresses>>
  nics(instanceUuid: string): Promise<NicSpec[]>
}

/**
 * Console URL tokens (the console token service, Nova's `ConsoleAuthToken`):
 * issued for a console, read back by an admin, forgotten with their server.
 */
export interface ServerConsoleTokens {
  issue(target: Omit<ConsoleTarget, 'id' | 'expiresAt'>): Promise<{ token: string; target: ConsoleTarget }>
  validate(token: string): Promise<ConsoleTarget | null>
  /** In the deleting transaction (`db`): the server's tokens stop working with it. */
  revokeForInstance(instanceUuid: string, db: Db): Promise<void>
}

/** What a registering host reports to placement (Nova's report client). */
export interface HostReporter {
  ensureResourceProvider(uuid: string, name: string): Promise<number>
  setInventories(uuid: string, wanted: Record<string, Partial<InventoryRecord> & { total: number }>): Promise<void>
  setTraits(uuid: string, wanted: string[]): Promise<void>
}

/** Frees what a server holds in placement. */
export interface AllocationRelease {
  deleteAllocations(consumerUuid: string): Promise<void>
}

/** One consumer's wanted allocations: provider uuid → class → amount (`{}` frees them). */
export interface AllocationRequest {
  consumerUuid: string
  allocations: Record<string, Record<string, number>>
  projectId: string
  userId: string
}

/** A move's two consumers (the instance and its migration), rewritten inside the caller's transaction. */
export interface AllocationMoves extends AllocationRelease {
  /** A consumer's allocations: provider uuid → class → amount. */
  allocationsIn(db: Db, consumerUuid: string): Promise<Record<string, Record<string, number>>>
  /** Replaces the consumers' allocations all or nothing; false (nothing written) when they do not fit. */
  replaceAllocationsIn(db: Db, requests: AllocationRequest[]): Promise<boolean>
}

// ---- what each compute module is given ----

/** `buildInstanceSpec`: volume and image files of the disks, and the NICs of the server's ports. */
export interface InstanceSpecDeps {
  readonly volumes: VolumeLookup
  readonly images: Pick<ImageLookup, 'findImage' | 'imageFilePath'>
  readonly network: Pick<ServerNetworks, 'nics'>
}

/** `applyTaskResult` / `finalizeDeletion`: the follow-ups of a finished task. */
export interface TaskResultDeps extends Store {
  readonly volumes: VolumeAttacher & Pick<ServerVolumes, 'deleteVolumeInternal'>
  readonly images: Pick<ServerImages, 'killImage' | 'deleteImageInternal'>
  readonly placement: AllocationMoves
  readonly network: Pick<ServerNetworks, 'release' | 'setStatus' | 'unbind' | 'removeIn' | 'bindHost'>
}

/** The agent gateway: registration, task rendering (rescue context included) and results. */
export interface AgentGatewayDeps extends TaskResultDeps, InstanceSpecDeps {
  readonly config: LifeboatConfig
  readonly volumes: VolumeLookup & TaskResultDeps['volumes']
  readonly images: Pick<ImageLookup, 'findImage' | 'imageFilePath'> & TaskResultDeps['images']
  readonly keypairs: KeypairLookup
  readonly placement: HostReporter & AllocationMoves
  readonly network: InstanceSpecDeps['network'] & TaskResultDeps['network']
}

/** The conductor: scheduling, then the volumes of a build. */
export interface ConductorDeps extends SchedulerDeps {
  readonly volumes: Pick<ServerVolumes, 'createVolume' | 'waitForVolume' | 'reserveAttachment' | 'completeAttachment'>
  readonly placement: HostClaims & AllocationRelease
  readonly network: Pick<ServerNetworks, 'allocate' | 'serverPorts' | 'bindHost'>
}

/** `rescueServer`: the rescue image, volume statuses and the rescue keypair. */
export interface RescueDeps extends Store {
  readonly config: LifeboatConfig
  readonly volumes: VolumeLookup
  readonly images: Pick<ImageLookup, 'findImage' | 'getImage'>
  readonly keypairs: KeypairLookup
}

/** `createServer`: everything a boot request names. */
export interface CreateServerDeps extends Store {
  readonly flavors: FlavorLookup
  readonly images: Pick<ImageLookup, 'getImage'>
  readonly volumes: Pick<ServerVolumes, 'getVolume' | 'getSnapshot'>
  readonly keypairs: KeypairLookup
  readonly securityGroups: Pick<ServerSecurityGroups, 'ensureDefaultGroup'>
  readonly network: Pick<ServerNetworks, 'availableNetworks' | 'subnetCounts' | 'findPort' | 'portWithAddress' | 'portQuota'>
}

/** `createServerImage`: the snapshot image, and volume snapshots for a volume-backed server. */
export interface SnapshotDeps extends Store {
  readonly images: Pick<ServerImages, 'createImageRecord' | 'importImageFile' | 'deleteImageInternal'>
  readonly volumes: Pick<ServerVolumes, 'createSnapshotInternal'>
}

/** `shelve`, `shelveOffload`, `unshelve` and `createBackup`: their images. */
export interface ShelveDeps extends Store {
  readonly config: LifeboatConfig
  readonly images: Pick<ServerImages, 'createImageRecord' | 'deleteImageInternal'>
}

/** `attachVolume` / `detachVolume`. */
export interface VolumeAttachmentDeps extends Store {
  readonly volumes: Pick<ServerVolumes, 'getVolume'> & VolumeAttacher
}

/** What the compute service is built with: the union of its modules' needs (the conductor and gateway come built). */
export interface ComputeDeps extends Store {
  readonly config: LifeboatConfig
  readonly volumes: ServerVolumes
  readonly images: ServerImages
  readonly keypairs: KeypairLookup
  readonly flavors: FlavorLookup
  readonly securityGroups: ServerSecurityGroups
  readonly placement: AllocationMoves & Pick<HostClaims, 'getHostCandidates'>
  readonly network: ServerNetworks
  readonly consoles: ServerConsoleTokens
}
