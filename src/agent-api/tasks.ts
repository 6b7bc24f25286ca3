/**
 * The work an agent does for the control plane, one documented union (like
 * Firecracker's VmmAction). Each task is queued in the same transaction that
 * changes the instance row; the agent leases it, acts, and reports.
 */
import { Type, type Static } from '@sinclair/typebox'
import { DeviceTypeSchema, DiskBusSchema, RescueModeSchema } from './values.js'
import { RescueRunTaskSchema } from './rescue-runs.js'

/** One member of the union: `kind` plus its fields. */
const task = <K extends string, P extends Parameters<typeof Type.Object>[0]>(kind: K, properties: P, description: string) =>
  Type.Object({ kind: Type.Literal(kind), ...properties }, { description })

/**
 * A rescue as the control plane decided it when it accepted the request
 * (`src/services/compute/rescue-decision.ts`): the agent boots exactly this
 * image, in this mode, as this device on this bus, and never chooses again.
 */
export const RescueTaskSchema = task('rescue', {
  imageId: Type.String(),
  mode: RescueModeSchema,
  device: DeviceTypeSchema,
  bus: DiskBusSchema,
  keyName: Type.Union([Type.String(), Type.Null()]),
  snapshotRoot: Type.Boolean(),
  previousVmState: Type.String(),
  adminPass: Type.Union([Type.String(), Type.Null()]),
  /** A rescue run (`lifeboat:run`): the script runs in the rescue system once it boots; its result is the task's `output.run`. */
  run: Type.Optional(RescueRunTaskSchema),
}, 'Boot from the decided rescue image, keeping the server\'s disks.')
export type RescueTask = Static<typeof RescueTaskSchema>

/** The flavor a resize or its revert gives the guest (the rendered spec may still show the other one). */
export const ResizeFlavorSchema = Type.Object({
  vcpus: Type.Integer({ minimum: 1 }),
  memoryMb: Type.Integer({ minimum: 1 }),
  /** The root disk's size; 0 = the image's size (a root never shrinks). */
  rootGb: Type.Integer({ minimum: 0 }),
})
export type ResizeFlavor = Static<typeof ResizeFlavorSchema>

/** Where a live migration's destination waits: its NBD server (an export per local disk) and its RAM listener. */
export const IncomingMigrationSchema = Type.Object({
  host: Type.String({ minLength: 1 }),
  nbdPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  migrationPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** Disk name → NBD export name. */
  exports: Type.Record(Type.String(), Type.String()),
})
export type IncomingMigrationTarget = Static<typeof IncomingMigrationSchema>

/** A rescued server's rescue as a live migration's destination rebuilds it (beyond Nova): the decision it was rescued with. */
export const MigratingRescueSchema = Type.Object({
  imageId: Type.String(),
  mode: RescueModeSchema,
  device: DeviceTypeSchema,
  bus: DiskBusSchema,
  keyName: Type.Union([Type.String(), Type.Null()]),
  snapshotRoot: Type.Boolean(),
})
export type MigratingRescue = Static<typeof MigratingRescueSchema>

/** Where a cold migration's source serves the stopped guest's disks (read-only NBD) and what the driver needs to rebuild the domain. */
export const OutgoingMigrationSchema = Type.Object({
  host: Type.String({ minLength: 1 }),
  nbdPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** Disk file key → NBD export name (local disks, and a rescue's disks). */
  exports: Type.Record(Type.String(), Type.String()),
  /** The driver's own description of the domain (its layout, a rescue's state); opaque to the control plane. */
  state: Type.Record(Type.String(), Type.Unknown()),
})
export type OutgoingMigrationSource = Static<typeof OutgoingMigrationSchema>

/** Every task kind, each described in its schema. */
export const TaskSchema = Type.Union([
  task('spawn', {}, 'Create the disks and boot a scheduled instance (vm_state building).'),
  task('power_off', {}, 'Clean shutdown (stop).'),
  task('power_on', {}, 'Boot a stopped instance.'),
  task('reboot', { rebootType: Type.Union([Type.Literal('SOFT'), Type.Literal('HARD')]) }, 'Soft or hard reboot.'),
  task('pause', {}, 'Pause the guest.'),
  task('unpause', {}, 'Unpause the guest.'),
  task('suspend', {}, 'Suspend the guest.'),
  task('resume', {}, 'Resume a suspended guest.'),
  task('snapshot', { imageId: Type.String() }, 'Snapshot the root disk into the queued image `imageId` (image-backed createImage).'),
  task('attach_volume', { bdmId: Type.String() }, 'Attach the volume of a block device mapping.'),
  task('detach_volume', { bdmId: Type.String() }, 'Detach the volume of a block device mapping.'),
  task('attach_interface', { portId: Type.String() }, 'Plug the NIC of a port bound to the server (in `instance.nics`): live into a running guest, else at its next boot.'),
  task('detach_interface', { portId: Type.String() }, 'Unplug the NIC of a port (`instance.nics` no longer lists it): live from a running guest, else from its next boot.'),
  RescueTaskSchema,
  task('unrescue', { discard: Type.Boolean() }, 'Boot the server\'s own root again (restored first with `discard`).'),
  task('rebuild', {
    imageId: Type.String(), previousVmState: Type.String(),
    /** Nova's `preserve_ephemeral`: the ephemeral disks keep their data (absent: recreated blank). */
    preserveEphemeral: Type.Optional(Type.Boolean()),
    /** An evacuated rescued server (beyond Nova): rescued again after the rebuild, as it was (the task is rendered with the rescue image and config drive). */
    rescue: Type.Optional(MigratingRescueSchema),
  }, 'Recreate the root disk from the server\'s (new) image and its config drive, and boot; a server that was stopped is stopped again. Reports its steps (`rebuild_block_device_mapping`, `rebuild_spawning`) as it goes.'),
  task('destroy', {}, 'Remove the domain and its local disks.'),
  task('console_output', { length: Type.Union([Type.Integer(), Type.Null()]) }, 'Read the serial console (a call: the API waits for the result).'),
  task('trigger_crash_dump', {}, 'Inject an NMI into the guest (a crash dump, if its kernel is set up for one).'),
  task('soft_delete', {}, 'Power off a soft-deleted server, keeping its disks (Nova `soft_delete_instance`).'),
  task('restore', {}, 'Power on a restored soft-deleted server (Nova `restore_instance`).'),
  task('network_changed', {}, 'Apply the NICs\' current forwards (floating IPs, security groups) to the running guest, without a restart.'),
  task('resize', { migrationId: Type.String(), flavor: ResizeFlavorSchema, powerOn: Type.Boolean() }, 'Resize on this host (Nova `resize_instance` + `finish_resize`): stop, keep the disks as they were, grow the root to the new flavor, and boot with its vCPUs and RAM when `powerOn`.'),
  task('confirm_resize', { migrationId: Type.String() }, 'Drop the disks kept for a revert (Nova `confirm_resize`).'),
  task('revert_resize', { migrationId: Type.String(), flavor: ResizeFlavorSchema, powerOn: Type.Boolean() }, 'Put back the disks kept at the resize and boot with the old flavor when `powerOn` (Nova `revert_resize` + `finish_revert_resize`).'),
  task('shelve', { imageId: Type.Union([Type.String(), Type.Null()]), offload: Type.Boolean() }, 'Power the guest off and snapshot its root disk into the queued image `imageId` (none for a volume-backed server); with `offload`, then remove the domain and its local disks (Nova `shelve_instance` / `shelve_offload_instance`).'),
  task('shelve_offload', {}, 'Remove a shelved server\'s domain and local disks from the host (Nova `shelve_offload_instance`).'),
  task('unshelve', { imageId: Type.Union([Type.String(), Type.Null()]), offloaded: Type.Boolean() }, 'Offloaded: create the disks (the root from the shelve image `imageId`, or the root volume) and boot on this host; else power the shelved guest on (Nova `unshelve_instance` / `start_instance`).'),
  task('live_migration_prepare', { migrationId: Type.String(), listenHost: Type.String(), rescue: Type.Optional(MigratingRescueSchema) }, 'Live migration, destination (Nova `pre_live_migration`): start the domain paused for the incoming RAM and serve its new local disks over NBD; reports `{ target }`. With `rescue`, the domain is the rescue layout (the task is rendered with the rescue image and config drive).'),
  task('live_migration', { migrationId: Type.String(), target: IncomingMigrationSchema, forceComplete: Type.Optional(Type.Boolean()) }, 'Live migration, source (Nova `live_migration`): mirror the local disks and send the RAM to `target`, then quit here; reports `{ totalMs, downtimeMs }`.'),
  task('live_migration_finish', { migrationId: Type.String(), paused: Type.Boolean() }, 'Live migration, destination (Nova `post_live_migration_at_destination`): continue the guest that arrived.'),
  task('live_migration_abort', { migrationId: Type.String() }, 'Live migration, destination (Nova `rollback_live_migration_at_destination`): remove the domain prepared for it.'),
  task('migrate_out', { migrationId: Type.String(), listenHost: Type.String() }, 'Cold migration, source (Nova `migrate_disk_and_power_off`): power the guest off and serve its disks read-only over NBD on `listenHost`; reports `{ source }`. A failure leaves the guest as it was.'),
  task('migrate_in', { migrationId: Type.String(), source: OutgoingMigrationSchema, powerOn: Type.Boolean() }, 'Cold migration, destination (Nova `finish_migration`): copy the disks from `source`, define the domain (rescued when it was) and boot it when `powerOn`.'),
  task('migrate_release', {
    migrationId: Type.String(),
    /** true: remove the domain and its local disks here (confirm, or a copy no longer wanted). */
    drop: Type.Boolean(),
    /** Not dropped: boot the kept domain again as it was (a revert, or the source after a failed destination). */
    powerOn: Type.Boolean(),
    /** Which step of the migration this is, for the control plane's result. */
    step: Type.Union([Type.Literal('end-serving'), Type.Literal('confirm'), Type.Literal('revert-dest'), Type.Literal('revert-source'), Type.Literal('cleanup'), Type.Literal('rollback')]),
  }, 'Cold migration, either host: stop serving the disks; then drop this copy, or boot it again.'),
  task('backup', { imageId: Type.String(), backupType: Type.String(), rotation: Type.Integer({ minimum: 0 }) }, 'Snapshot the root disk into the queued backup image `imageId`; the control plane then rotates the server\'s backups of `backupType` (Nova `backup_instance`).'),
])
/** One task; `kind` tells which. */
export type Task = Static<typeof TaskSchema>
export type TaskKind = Task['kind']

/** What the agent reports when a task ends. */
export const TaskReportSchema = Type.Object({
  ok: Type.Boolean(),
  /** Nova power state seen after the work. */
  powerState: Type.Optional(Type.Integer({ minimum: 0 })),
  /** When `ok` is false: the user's message (instance faults, actions), short, with a stable code, no paths or command lines. */
  error: Type.Optional(Type.String()),
  /** The stable code of the failure (`LB_…`). */
  code: Type.Optional(Type.String({ maxLength: 64 })),
  /** The full error, shown to admins only (fault `details`, event `traceback`). */
  detail: Type.Optional(Type.String()),
  /** Kind-specific output, e.g. `{ output }` for console_output. */
  output: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})
export type TaskReport = Static<typeof TaskReportSchema>

/** One step of a task's instance action starting or finishing, timed on the agent (like Nova's compute host). */
export const TaskEventSchema = Type.Object({
  event: Type.String({ minLength: 1, maxLength: 255 }),
  phase: Type.Union([Type.Literal('start'), Type.Literal('finish')]),
  /** ISO time on the agent when it happened. */
  at: Type.String({ maxLength: 64 }),
  result: Type.Optional(Type.Union([Type.Literal('Success'), Type.Literal('Error')])),
  /** For users: a short reason with a stable code. */
  details: Type.Optional(Type.String()),
  /** The full error, for admins only (the event's `traceback`). */
  detail: Type.Optional(Type.String()),
})
export type TaskEvent = Static<typeof TaskEventSchema>
