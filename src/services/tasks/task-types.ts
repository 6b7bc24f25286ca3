/**
 * The work an agent does for the control plane, one documented union (like
 * Firecracker's VmmAction). Each task is queued in the same transaction that
 * changes the instance row; the agent leases it, acts, and reports.
 */
export type Task =
  /** Create the disks and boot a scheduled instance (vm_state building). */
  | { kind: 'spawn' }
  /** Clean shutdown (stop). */
  | { kind: 'power_off' }
  /** Boot a stopped instance. */
  | { kind: 'power_on' }
  | { kind: 'reboot'; rebootType: 'SOFT' | 'HARD' }
  | { kind: 'pause' }
  | { kind: 'unpause' }
  | { kind: 'suspend' }
  | { kind: 'resume' }
  /** Snapshot the root disk into the queued image `imageId` (image-backed createImage). */
  | { kind: 'snapshot'; imageId: string }
  | { kind: 'attach_volume'; bdmId: string }
  | { kind: 'detach_volume'; bdmId: string }
  /**
   * Boot from a rescue image. The agent chooses the image with
   * `chooseRescueImage()` from these candidates, in order.
   */
  | {
      kind: 'rescue'
      requestedImageRef: string | null
      allowBfvRescue: boolean
      keyName: string | null
      snapshotRoot: boolean
      previousVmState: string
      adminPass: string | null
    }
  | { kind: 'unrescue'; discard: boolean }
  /** Remove the domain and its local disks. */
  | { kind: 'destroy' }
  /** Read the serial console (a call: the API waits for the result). */
  | { kind: 'console_output'; length: number | null }

export type TaskKind = Task['kind']

/** Task row statuses: queued → leased → done | failed. */
export type TaskStatus = 'queued' | 'leased' | 'done' | 'failed'

/** What the agent reports when a task ends. */
export interface TaskReport {
  ok: boolean
  /** Nova power state seen after the work. */
  powerState?: number
  /** A short reason shown in faults and action events when `ok` is false. */
  error?: string
  /** Kind-specific output, e.g. `{ output }` for console_output. */
  output?: Record<string, unknown>
}

/** One step of a task's instance action starting or finishing, timed on the agent (like Nova's compute host). */
export interface TaskEvent {
  event: string
  phase: 'start' | 'finish'
  /** ISO time on the agent when it happened. */
  at: string
  result?: 'Success' | 'Error'
  details?: string
}

/** The instance event each task kind records, named like Nova's `compute_<method>`. */
export const TASK_EVENTS: Record<TaskKind, string> = {
  spawn: 'compute__do_build_and_run_instance',
  power_off: 'compute_stop_instance',
  power_on: 'compute_start_instance',
  reboot: 'compute_reboot_instance',
  pause: 'compute_pause_instance',
  unpause: 'compute_unpause_instance',
  suspend: 'compute_suspend_instance',
  resume: 'compute_resume_instance',
  snapshot: 'compute_snapshot_instance',
  attach_volume: 'compute_attach_volume',
  detach_volume: 'compute_detach_volume',
  rescue: 'compute_rescue_instance',
  unrescue: 'compute_unrescue_instance',
  destroy: 'compute_terminate_instance',
  console_output: 'compute_get_console_output',
}
