/** Nova's vm_state values (nova/compute/vm_states.py). */
export const VmState = {
  ACTIVE: 'active',
  BUILDING: 'building',
  PAUSED: 'paused',
  SUSPENDED: 'suspended',
  STOPPED: 'stopped',
  RESCUED: 'rescued',
  RESIZED: 'resized',
  SOFT_DELETED: 'soft-delete',
  DELETED: 'deleted',
  ERROR: 'error',
  SHELVED: 'shelved',
  SHELVED_OFFLOADED: 'shelved_offloaded',
} as const
export type VmState = (typeof VmState)[keyof typeof VmState]

/** Nova's task_state values that Lifeboat uses (nova/compute/task_states.py). */
export const TaskState = {
  SCHEDULING: 'scheduling',
  BLOCK_DEVICE_MAPPING: 'block_device_mapping',
  NETWORKING: 'networking',
  SPAWNING: 'spawning',
  IMAGE_SNAPSHOT: 'image_snapshot',
  IMAGE_SNAPSHOT_PENDING: 'image_snapshot_pending',
  IMAGE_UPLOADING: 'image_uploading',
  REBOOTING: 'rebooting',
  REBOOTING_HARD: 'rebooting_hard',
  PAUSING: 'pausing',
  UNPAUSING: 'unpausing',
  SUSPENDING: 'suspending',
  RESUMING: 'resuming',
  POWERING_OFF: 'powering-off',
  POWERING_ON: 'powering-on',
  RESCUING: 'rescuing',
  UNRESCUING: 'unrescuing',
  DELETING: 'deleting',
  SOFT_DELETING: 'soft-deleting',
  RESTORING: 'restoring',
  REBUILDING: 'rebuilding',
  REBUILD_BLOCK_DEVICE_MAPPING: 'rebuild_block_device_mapping',
  REBUILD_SPAWNING: 'rebuild_spawning',
  RESIZE_PREP: 'resize_prep',
  RESIZE_MIGRATING: 'resize_migrating',
  RESIZE_MIGRATED: 'resize_migrated',
  RESIZE_FINISH: 'resize_finish',
  RESIZE_REVERTING: 'resize_reverting',
  SHELVING: 'shelving',
  SHELVING_IMAGE_PENDING_UPLOAD: 'shelving_image_pending_upload',
  SHELVING_IMAGE_UPLOADING: 'shelving_image_uploading',
  SHELVING_OFFLOADING: 'shelving_offloading',
  UNSHELVING: 'unshelving',
  IMAGE_BACKUP: 'image_backup',
  MIGRATING: 'migrating',
} as const
export type TaskState = (typeof TaskState)[keyof typeof TaskState]

/** vm_states from which rescue is allowed (nova/compute/api.py `rescue`). */
export const RESCUABLE_STATES: readonly string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR]

/** Nova's status for the four task_states of a resize under way. */
function resizing(status: string): Record<string, string> {
  return Object.fromEntries([TaskState.RESIZE_PREP, TaskState.RESIZE_MIGRATING, TaskState.RESIZE_MIGRATED, TaskState.RESIZE_FINISH].map((s) => [s, status]))
}

const STATUS_MAP: Record<string, Record<string, string>> = {
  [VmState.ACTIVE]: {
    default: 'ACTIVE',
    [TaskState.REBOOTING]: 'REBOOT',
    [TaskState.REBOOTING_HARD]: 'HARD_REBOOT',
    [TaskState.REBUILDING]: 'REBUILD',
    [TaskState.REBUILD_BLOCK_DEVICE_MAPPING]: 'REBUILD',
    [TaskState.REBUILD_SPAWNING]: 'REBUILD',
    ...resizing('RESIZE'),
    [TaskState.MIGRATING]: 'MIGRATING',
  },
  [VmState.BUILDING]: { default: 'BUILD' },
  [VmState.STOPPED]: { default: 'SHUTOFF', [TaskState.REBUILDING]: 'REBUILD', [TaskState.REBUILD_BLOCK_DEVICE_MAPPING]: 'REBUILD', [TaskState.REBUILD_SPAWNING]: 'REBUILD', ...resizing('RESIZE') },
  [VmState.RESIZED]: { default: 'VERIFY_RESIZE', [TaskState.RESIZE_REVERTING]: 'REVERT_RESIZE' },
  [VmState.PAUSED]: { default: 'PAUSED', [TaskState.MIGRATING]: 'MIGRATING' },
  [VmState.SUSPENDED]: { default: 'SUSPENDED' },
  [VmState.RESCUED]: { default: 'RESCUE' },
  [VmState.ERROR]: { default: 'ERROR', [TaskState.REBUILDING]: 'REBUILD', [TaskState.REBUILD_BLOCK_DEVICE_MAPPING]: 'REBUILD', [TaskState.REBUILD_SPAWNING]: 'REBUILD' },
  [VmState.DELETED]: { default: 'DELETED' },
  [VmState.SOFT_DELETED]: { default: 'SOFT_DELETED' },
  [VmState.SHELVED]: { default: 'SHELVED' },
  [VmState.SHELVED_OFFLOADED]: { default: 'SHELVED_OFFLOADED' },
}

/** The API `status` for a vm_state/task_state pair (nova/api/openstack/common.py `status_from_state`). */
export function statusFromState(vmState: string, taskState: string | null): string {
  const byTask = STATUS_MAP[vmState]
  if (!byTask) return 'UNKNOWN'
  return (taskState !== null && byTask[taskState]) || byTask.default!
}

/** The vm_states a status filter means (`?status=SHUTOFF` → stopped). */
export function vmStatesForStatus(status: string): string[] | null {
  const upper = status.toUpperCase()
  const states = Object.entries(STATUS_MAP).filter(([, byTask]) => Object.values(byTask).includes(upper)).map(([vm]) => vm)
  return states.length > 0 ? states : null
}
