/**
 * The internal agent API's messages: what the control plane and an agent
 * (embedded or remote) say to each other over HTTP under `/agent/v1`. The
 * control plane validates every request with these schemas; the agent's
 * client is typed by them.
 */
import { Type, type Static } from '@sinclair/typebox'
import { TaskEventSchema, TaskReportSchema, TaskSchema } from './tasks.js'
import { ConfigDriveSpecSchema, DiskFormatSchema, DiskSpecSchema, HostInfoSchema, InstanceSpecSchema, StringMap } from './values.js'

/** `{id}` in a path (a task, an instance or an image). */
export const IdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) })

/** A domain the driver found at start, to reconcile power states. */
export const DomainSummarySchema = Type.Object({ instanceId: Type.String(), powerState: Type.Integer({ minimum: 0 }), rescued: Type.Boolean() })

/** POST /agent/v1/register. The host comes from the authenticated headers; a `host` in the body is ignored. */
export const RegisterRequestSchema = Type.Object({
  host: Type.Optional(Type.String()),
  session: Type.String({ minLength: 1, maxLength: 255 }),
  driver: Type.String({ minLength: 1, maxLength: 255 }),
  hostInfo: HostInfoSchema,
  traits: Type.Array(Type.String({ minLength: 1, maxLength: 255 })),
  domains: Type.Array(DomainSummarySchema),
  /**
   * The address other hosts reach this one at (Nova's `my_ip`, os-hypervisors `host_ip`). Absent: the
   * control plane takes the address the register came from (none for loopback).
   */
  hostIp: Type.Optional(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$' })),
})
export type RegisterRequest = Static<typeof RegisterRequestSchema>

/**
 * The answer to a register: the host's compute service id, how long a lease lasts, and the guests
 * to destroy before anything else (`evacuated`: their servers were evacuated to another host while
 * this one was down; Nova's `_destroy_evacuated_instances`).
 */
export const RegisterResponseSchema = Type.Object({ serviceId: Type.String(), leaseSeconds: Type.Integer(), evacuated: Type.Optional(Type.Array(Type.String())) })
export type RegisterResponse = Static<typeof RegisterResponseSchema>

/** POST /agent/v1/heartbeat */
export const HeartbeatRequestSchema = Type.Object({ session: Type.String({ minLength: 1 }) })
export type HeartbeatRequest = Static<typeof HeartbeatRequestSchema>

/** POST /agent/v1/tasks/lease: a long poll for up to `max` tasks. */
export const LeaseRequestSchema = Type.Object({
  session: Type.String({ minLength: 1 }),
  max: Type.Integer({ minimum: 1, maximum: 64 }),
  waitMs: Type.Integer({ minimum: 0, maximum: 30000 }),
})
export type LeaseRequest = Static<typeof LeaseRequestSchema>

/** GET /agent/v1/images/{id}: what an agent needs to know of an image to use it. */
export const AgentImageInfoSchema = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  diskFormat: DiskFormatSchema,
  properties: StringMap,
  /** Where the control plane keeps the data; used directly when the agent shares the filesystem. */
  path: Type.String(),
  size: Type.Union([Type.Integer(), Type.Null()]),
  checksum: Type.Union([Type.String(), Type.Null()]),
})
export type AgentImageInfo = Static<typeof AgentImageInfoSchema>

/** A leased task with everything the manager needs to do it. */
export const AgentTaskSchema = Type.Object({
  id: Type.String(),
  instanceUuid: Type.String(),
  attempts: Type.Integer(),
  task: TaskSchema,
  instance: InstanceSpecSchema,
  /** Nova's shutdown_timeout, or the image's `os_shutdown_timeout`. */
  shutdownTimeoutSeconds: Type.Number(),
  /** For a rescue: the decided image as it is now (null: gone), and the config drive the rescue boots with. */
  rescue: Type.Optional(Type.Object({ image: Type.Union([AgentImageInfoSchema, Type.Null()]), configDrive: ConfigDriveSpecSchema })),
  attach: Type.Optional(Type.Object({ disk: DiskSpecSchema })),
  detach: Type.Optional(Type.Object({ diskName: Type.String() })),
  snapshot: Type.Optional(Type.Object({ imageId: Type.String(), format: DiskFormatSchema })),
})
export type AgentTask = Static<typeof AgentTaskSchema>

/** The answer to a lease. */
export const LeaseResponseSchema = Type.Object({ tasks: Type.Array(AgentTaskSchema) })
export type LeaseResponse = Static<typeof LeaseResponseSchema>

/** POST /agent/v1/tasks/{id}/events: events in the order they happened. */
export const TaskEventsRequestSchema = Type.Object({ session: Type.String({ minLength: 1 }), events: Type.Array(TaskEventSchema, { maxItems: 1000 }) })
export type TaskEventsRequest = Static<typeof TaskEventsRequestSchema>

/**
 * POST /agent/v1/tasks/{id}/task-state: a long task reached its next step
 * (Nova's compute manager saving `instance.task_state` as it goes, e.g.
 * `rebuild_spawning`). The control plane moves the server's task_state only
 * from the step before it, so a late or repeated report changes nothing.
 */
export const TaskStepRequestSchema = Type.Object({
  session: Type.String({ minLength: 1 }),
  taskState: Type.Union([Type.Literal('rebuild_block_device_mapping'), Type.Literal('rebuild_spawning')]),
})
export type TaskStepRequest = Static<typeof TaskStepRequestSchema>

/** POST /agent/v1/tasks/{id}/finish */
export const FinishTaskRequestSchema = Type.Object({
  session: Type.String({ minLength: 1 }),
  report: TaskReportSchema,
  /** Events not sent yet, recorded before the result. */
  events: Type.Optional(Type.Array(TaskEventSchema, { maxItems: 1000 })),
})
export type FinishTaskRequest = Static<typeof FinishTaskRequestSchema>

/** POST /agent/v1/instances/{id}/power-state: a guest changed power state on its own. */
export const PowerStateRequestSchema = Type.Object({ powerState: Type.Integer({ minimum: 0 }) })
export type PowerStateRequest = Static<typeof PowerStateRequestSchema>
