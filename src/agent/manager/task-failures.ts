import type { TaskKind } from '../../agent-api/tasks.js'
import { DriverErrorCode } from '../../virt/error-codes.js'
import { AgentErrorCode } from '../error-codes.js'

/** A failed task as users and operators see it. */
export interface TaskFailure {
  /** A stable code (`LB_…`). */
  code: string
  /** For users (instance faults, action events): short, no command line, path or stderr. */
  reason: string
  /** The full error, for admins (fault `details`, event `traceback`) and the operator's log. */
  detail: string
}

/** What each task kind is called in a user's message. */
const ACTIONS: Record<TaskKind, string> = {
  spawn: 'Build', power_off: 'Stop', power_on: 'Start', reboot: 'Reboot', pause: 'Pause', unpause: 'Unpause',
  suspend: 'Suspend', resume: 'Resume', snapshot: 'Snapshot', attach_volume: 'Volume attach', detach_volume: 'Volume detach',
  attach_interface: 'Interface attach', detach_interface: 'Interface detach',
  rescue: 'Rescue', unrescue: 'Unrescue', rebuild: 'Rebuild', destroy: 'Delete', console_output: 'Console output',
  network_changed: 'Network update', trigger_crash_dump: 'Crash dump',
  soft_delete: 'Soft delete', restore: 'Restore',
  resize: 'Resize', confirm_resize: 'Resize confirm', revert_resize: 'Resize revert',
  shelve: 'Shelve', shelve_offload: 'Shelve offload', unshelve: 'Unshelve', backup: 'Backup',
  live_migration_prepare: 'Live migration', live_migration: 'Live migration', live_migration_finish: 'Live migration', live_migration_abort: 'Live migration rollback',
  migrate_out: 'Migration', migrate_in: 'Migration', migrate_release: 'Migration',
}

/** The user's reason for each driver code; a code absent here gets the generic one. */
const REASONS: Record<string, string> = {
  [DriverErrorCode.COMMAND_FAILED]: 'the hypervisor could not complete the operation',
  [DriverErrorCode.QMP_CLOSED]: 'the hypervisor stopped answering',
  [DriverErrorCode.QMP_TIMEOUT]: 'the hypervisor did not answer in time',
  [DriverErrorCode.QMP_UNREACHABLE]: 'the hypervisor could not be reached',
  [DriverErrorCode.QEMU_MISSING]: 'the compute host has no usable hypervisor',
  [DriverErrorCode.DOMAIN_NOT_RUNNING]: 'the server is not running',
  [DriverErrorCode.NO_ROOT]: 'the server has no root disk',
  [DriverErrorCode.SUSPEND_FAILED]: 'the guest state could not be saved',
  [DriverErrorCode.RESUME_FAILED]: 'the saved guest state could not be loaded',
  [DriverErrorCode.ALREADY_RESCUED]: 'the server is already rescued',
  [DriverErrorCode.DETACH_TIMEOUT]: 'the guest did not release the device',
  [DriverErrorCode.HOTPLUG_UNSUPPORTED]: 'the device cannot be plugged into or unplugged from the running guest; stop the server first',
}

// Errors whose own message is written for users (ids only, no paths): shown as they are.
const OWN_MESSAGE_CODES = new Set<string>([
  AgentErrorCode.RESCUE_IMAGE_UNAVAILABLE, DriverErrorCode.FAKE_FAILURE, DriverErrorCode.ALREADY_RESCUED, AgentErrorCode.TASK_INVALID,
  DriverErrorCode.HOST_PORT_BUSY,
])

/** The stable code of an error: a driver's or a rescue's own code, else a generic one. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('LB_') ? code : AgentErrorCode.TASK_FAILED
}

/**
 * The one place an agent's error becomes what users read: a stable code and
 * a short reason (never the command line, path or stderr a driver error
 * carries). The full error stays in `detail`, for admins and the log.
 */
export function describeFailure(error: unknown): TaskFailure {
  const detail = error instanceof Error ? error.message : String(error)
  const code = codeOf(error)
  const reason = OWN_MESSAGE_CODES.has(code) ? detail : (REASONS[code] ?? 'an unexpected error occurred on the compute host')
  return { code, reason: `${reason} (${code})`, detail }
}

/** A task's failure as one user sentence: "Rescue failed: the hypervisor did not answer in time (LB_QMP_TIMEOUT)". */
export function taskFailureMessage(kind: TaskKind, failure: TaskFailure): string {
  return `${ACTIONS[kind]} failed: ${failure.reason}`
}
