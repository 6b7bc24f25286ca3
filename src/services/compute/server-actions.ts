import type { Store } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { Task } from '../../agent-api/index.js'
import { actionContext, type CallContext } from './call-context.js'
import { authorize, PolicyNotAuthorized } from '../policy.js'
import { getInstanceRow } from './instance-store.js'
import { assertOnHost, claimTaskState, guardInstance } from './instance-guards.js'
import { recordAction, finishAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { nowIso } from '../time.js'

/** One action that becomes a task on the instance's host. */
export interface InstanceTaskSpec {
  /** The word of Nova's error messages and instance actions (`stop`, `reboot`, …). */
  action: string
  policy: string
  vmStates: readonly string[] | null
  taskStates?: readonly (string | null)[]
  newTaskState: string
  task: Task
}

/**
 * Starts an action the Nova way: policy, instance in scope, lock, state, then
 * one transaction with the task_state compare-and-set, the instance action
 * and the queued task.
 */
export async function startInstanceTask(deps: Store, tasks: TaskQueue, call: CallContext, instanceId: string, spec: InstanceTaskSpec): Promise<void> {
  const { instance } = await guardInstance(deps.db, call, instanceId, spec)
  assertOnHost(instance, spec.action)
  await deps.db.transaction().execute(async (trx) => {
    await claimTaskState(trx, instance, spec.action, spec.newTaskState)
    const actionId = await recordAction(trx, instance.uuid, spec.action, actionContext(call))
    await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: instance.host, task: spec.task, actionId })
  })
  tasks.notify(instance.host)
}

/** The simple power actions, with the states Nova allows each from (nova/compute/api.py). */
export const POWER_ACTIONS = {
  stop: { action: 'stop', policy: 'os_compute_api:servers:stop', vmStates: [VmState.ACTIVE, VmState.ERROR], newTaskState: TaskState.POWERING_OFF, task: { kind: 'power_off' } },
  start: { action: 'start', policy: 'os_compute_api:servers:start', vmStates: [VmState.STOPPED], newTaskState: TaskState.POWERING_ON, task: { kind: 'power_on' } },
  pause: { action: 'pause', policy: 'os_compute_api:os-pause-server:pause', vmStates: [VmState.ACTIVE], newTaskState: TaskState.PAUSING, task: { kind: 'pause' } },
  unpause: { action: 'unpause', policy: 'os_compute_api:os-pause-server:unpause', vmStates: [VmState.PAUSED], newTaskState: TaskState.UNPAUSING, task: { kind: 'unpause' } },
  suspend: { action: 'suspend', policy: 'os_compute_api:os-suspend-server:suspend', vmStates: [VmState.ACTIVE], newTaskState: TaskState.SUSPENDING, task: { kind: 'suspend' } },
  resume: { action: 'resume', policy: 'os_compute_api:os-suspend-server:resume', vmStates: [VmState.SUSPENDED], newTaskState: TaskState.RESUMING, task: { kind: 'resume' } },
} satisfies Record<string, InstanceTaskSpec>

/** reboot SOFT (ACTIVE only) or HARD (also from SHUTOFF, PAUSED, SUSPENDED, ERROR, or during a soft reboot). */
export function rebootSpec(type: 'SOFT' | 'HARD'): InstanceTaskSpec {
  if (type === 'SOFT') {
    return { action: 'reboot', policy: 'os_compute_api:servers:reboot', vmStates: [VmState.ACTIVE], newTaskState: TaskState.REBOOTING, task: { kind: 'reboot', rebootType: 'SOFT' } }
  }
  return {
    action: 'reboot', policy: 'os_compute_api:servers:reboot',
    vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR],
    taskStates: [null, TaskState.REBOOTING, TaskState.REBOOTING_HARD, TaskState.RESUMING, TaskState.UNPAUSING, TaskState.PAUSING, TaskState.SUSPENDING],
    newTaskState: TaskState.REBOOTING_HARD, task: { kind: 'reboot', rebootType: 'HARD' },
  }
}

/** lock (2.73: with a reason): recorded as an instance action, no task. */
export async function lockServer(deps: Store, call: CallContext, instanceId: string, reason: string | null): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:os-lock-server:lock', 'member')
  const instance = await getInstanceRow(deps.db, auth, instanceId)
  const lockedBy = auth.projectId === instance.project_id ? 'owner' : 'admin'
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('instances').set({ locked: 1, locked_by: lockedBy, locked_reason: reason, updated_at: nowIso() }).where('uuid', '=', instance.uuid).execute()
    const actionId = await recordAction(trx, instance.uuid, 'lock', actionContext(call))
    await finishAction(trx, actionId, 'Success')
  })
}

/** unlock: an admin's lock can only be lifted by an admin (`unlock_override`). */
export async function unlockServer(deps: Store, call: CallContext, instanceId: string): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:os-lock-server:unlock', 'member')
  const instance = await getInstanceRow(deps.db, auth, instanceId)
  if (instance.locked && instance.locked_by === 'admin' && !auth.isAdmin) throw new PolicyNotAuthorized('os_compute_api:os-lock-server:unlock:unlock_override')
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('instances').set({ locked: 0, locked_by: null, locked_reason: null, updated_at: nowIso() }).where('uuid', '=', instance.uuid).execute()
    const actionId = await recordAction(trx, instance.uuid, 'unlock', actionContext(call))
    await finishAction(trx, actionId, 'Success')
  })
}
