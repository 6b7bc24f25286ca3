import type { Db } from '../../db/schema.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { CallContext } from './call-context.js'
import { authorize, type DefaultRole } from '../policy.js'
import { getInstanceDetails, getInstanceRow, type DetailParts, type InstanceDetails, type InstanceRow } from './instance-store.js'
import { InstanceInvalidState, InstanceIsLocked } from './compute-errors.js'
import { nowIso } from '../time.js'

/** Nova's `check_instance_lock`: a locked server refuses non-admins (409). */
export function assertNotLocked(auth: AuthContext, instance: InstanceRow): void {
  if (instance.locked && !auth.isAdmin) throw new InstanceIsLocked(instance.uuid)
}

/** Nova's `check_instance_state`: vm_state among `allowed`, and no task running. */
export function assertVmState(instance: InstanceRow, action: string, allowed: readonly string[] | null, allowedTaskStates: readonly (string | null)[] = [null]): void {
  if (allowed !== null && !allowed.includes(instance.vm_state)) throw new InstanceInvalidState(action, instance.uuid, 'vm_state', instance.vm_state)
  if (!allowedTaskStates.includes(instance.task_state)) throw new InstanceInvalidState(action, instance.uuid, 'task_state', instance.task_state)
}

/** A server on a host (its `host` set). */
export type HostedInstanceRow = InstanceRow & { host: string }

/** A server that never reached a host has nothing to act on: the action's vm_state 409. */
export function assertOnHost(instance: InstanceRow, action: string): asserts instance is HostedInstanceRow {
  if (!instance.host) throw new InstanceInvalidState(action, instance.uuid, 'vm_state', instance.vm_state)
}

/**
 * The preconditions of a server action, as Nova states them with decorators
 * on `nova/compute/api.py` (`check_instance_lock`, `check_instance_state`).
 */
export interface ActionGuard {
  /** The policy rule, and the default role it needs (`member` unless said). */
  readonly policy: string
  readonly role?: DefaultRole
  /** The action's name in Nova's 409 texts (`Cannot 'resize' instance ...`). */
  readonly action: string
  /** The vm_states allowed (null: any). */
  readonly vmStates: readonly string[] | null
  /** The task_states allowed (none running unless said). */
  readonly taskStates?: readonly (string | null)[]
}

/** What most actions' rules read: the row, flavor, disks and rescue, not metadata, tags or groups. */
export const RULE_PARTS: DetailParts = { metadata: false, tags: false, securityGroups: false }

/**
 * Nova's preamble of a server action, in its order: policy (403), the server
 * in the caller's scope (404), lock (409), vm_state and task_state (409).
 */
export async function guardInstance(db: Db, call: CallContext, instanceId: string, guard: ActionGuard): Promise<{ auth: AuthContext; instance: InstanceRow }> {
  const auth = authorize(call.auth, guard.policy, guard.role ?? 'member')
  const instance = await getInstanceRow(db, auth, instanceId)
  assertActionAllowed(auth, instance, guard)
  return { auth, instance }
}

/** `guardInstance` for an action whose rules read the server's details (`parts` of them). */
export async function guardInstanceDetails(db: Db, call: CallContext, instanceId: string, guard: ActionGuard, parts?: DetailParts): Promise<{ auth: AuthContext; details: InstanceDetails }> {
  const auth = authorize(call.auth, guard.policy, guard.role ?? 'member')
  const details = await getInstanceDetails(db, auth, instanceId, parts)
  assertActionAllowed(auth, details.row, guard)
  return { auth, details }
}

/** The lock, then the states (Nova's decorators stack in that order). */
function assertActionAllowed(auth: AuthContext, instance: InstanceRow, guard: ActionGuard): void {
  assertNotLocked(auth, instance)
  assertVmState(instance, guard.action, guard.vmStates, guard.taskStates)
}

/**
 * Compare-and-set of task_state (Nova's `save(expected_task_state=[None])`):
 * succeeds only if nothing changed since `instance` was read; otherwise the
 * concurrent action won and this one is refused with 409.
 */
export async function claimTaskState(trx: Db, instance: InstanceRow, action: string, taskState: string, extra: Partial<InstanceRow> = {}): Promise<void> {
  const result = await trx.updateTable('instances')
    .set({ ...extra, task_state: taskState, updated_at: nowIso() })
    .where('uuid', '=', instance.uuid)
    .where('vm_state', '=', instance.vm_state)
    .where((eb) => (instance.task_state === null ? eb('task_state', 'is', null) : eb('task_state', '=', instance.task_state)))
    .where('deleted', '=', 0)
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) {
    const fresh = await trx.selectFrom('instances').select(['vm_state', 'task_state']).where('uuid', '=', instance.uuid).executeTakeFirst()
    if (fresh && fresh.task_state !== null) throw new InstanceInvalidState(action, instance.uuid, 'task_state', fresh.task_state)
    throw new InstanceInvalidState(action, instance.uuid, 'vm_state', fresh?.vm_state ?? 'deleted')
  }
}
