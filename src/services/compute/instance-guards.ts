import type { Db } from '../../db/schema.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { InstanceRow } from './instance-store.js'
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
