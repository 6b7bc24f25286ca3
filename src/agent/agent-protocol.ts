/**
 * The internal agent API's messages: what the control plane and an agent
 * (embedded or remote) say to each other over HTTP. Types only.
 */
import type { Task, TaskEvent, TaskReport } from '../services/tasks/task-types.js'
import type { ConfigDriveSpec, DiskFormat, DiskSpec, HostInfo, InstanceSpec } from '../virt/virt-driver.js'

export type { Task, TaskEvent, TaskReport }

/** POST /agent/v1/register */
export interface RegisterRequest {
  host: string
  session: string
  driver: string
  hostInfo: HostInfo
  traits: string[]
  /** Domains the driver found at start, to reconcile power states. */
  domains: Array<{ instanceId: string; powerState: number; rescued: boolean }>
}

export interface RegisterResponse {
  serviceId: string
  leaseSeconds: number
}

/** A leased task with everything the manager needs to do it. */
export interface AgentTask {
  id: string
  instanceUuid: string
  attempts: number
  task: Task
  instance: InstanceSpec
  /** Nova's shutdown_timeout, or the image's `os_shutdown_timeout`. */
  shutdownTimeoutSeconds: number
  rescue?: {
    /** Rescue image candidates in the order `chooseRescueImage()` tries them, with the image as found (null: none). */
    candidates: Array<{ imageId: string; source: 'request' | 'server image' | 'root volume image' | 'operator default'; image: AgentImageInfo | null }>
    volumeBacked: boolean
    configDrive: ConfigDriveSpec
  }
  attach?: { disk: DiskSpec }
  detach?: { diskName: string }
  snapshot?: { imageId: string; format: DiskFormat }
}

/** GET /agent/v1/images/{id} */
export interface AgentImageInfo {
  id: string
  name: string | null
  status: string
  diskFormat: DiskFormat
  properties: Record<string, string>
  /** Where the control plane keeps the data; used directly when the agent shares the filesystem. */
  path: string
  size: number | null
  checksum: string | null
}

/** POST /agent/v1/tasks/{id}/events: events in the order they happened. */
export interface TaskEventsRequest {
  session: string
  events: TaskEvent[]
}

/** POST /agent/v1/tasks/{id}/finish */
export interface FinishTaskRequest {
  session: string
  report: TaskReport
  /** Events not sent yet, recorded before the result. */
  events?: TaskEvent[]
  /** For rescue: what the manager chose, recorded on the instance. */
  rescue?: { imageId: string; mode: 'stable' | 'legacy' }
}
