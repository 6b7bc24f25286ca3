/**
 * Nova's admin and recovery actions on one server: os-resetState,
 * changePassword and trigger_crash_dump
 * (nova/api/openstack/compute/admin_actions.py, servers.py, deferred_delete.py).
 */
import type { Store } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { actionContext, type CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { getInstanceRow } from './instance-store.js'
import { guardInstance } from './instance-guards.js'
import { recordAction, finishAction } from './instance-actions.js'
import { InstanceNotReady } from './compute-errors.js'
import { Conflict } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'
import { VmState } from './instance-states.js'
import { nowIso } from '../time.js'

/** Nova's `_state_map` of os-resetState. */
const RESET_STATES: Record<'active' | 'error', string> = { active: VmState.ACTIVE, error: VmState.ERROR }

/** os-resetState (admin): sets vm_state, clears task_state, recorded as the `resetState` action. */
export async function resetServerState(deps: Store, call: CallContext, instanceId: string, state: 'active' | 'error'): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:os-admin-actions:reset_state', 'admin')
  const instance = await getInstanceRow(deps.db, auth, instanceId)
  await deps.db.transaction().execute(async (trx) => {
    const actionId = await recordAction(trx, instance.uuid, 'resetState', actionContext(call))
    await trx.updateTable('instances').set({ vm_state: RESET_STATES[state], task_state: null, updated_at: nowIso() }).where('uuid', '=', instance.uuid).execute()
    await finishAction(trx, actionId, 'Success')
  })
}

/**
 * changePassword: Nova's checks (lock, ACTIVE, no task), then the driver's
 * answer. Lifeboat's guests have no guest agent, so the answer is Nova's
 * libvirt one without an agent: 409 `QemuGuestAgentNotEnabled`. The
 * password is never stored nor logged.
 */
export async function changeServerPassword(deps: Store, call: CallContext, instanceId: string): Promise<void> {
  const { instance } = await guardInstance(deps.db, call, instanceId, { policy: 'os_compute_api:os-admin-password', action: 'changePassword', vmStates: [VmState.ACTIVE] })
  const message = 'QEMU guest agent is not enabled'
  await deps.db.transaction().execute(async (trx) => {
    const actionId = await recordAction(trx, instance.uuid, 'changePassword', actionContext(call))
    await finishAction(trx, actionId, 'Error', message)
  })
  throw new Conflict(message, ServiceErrorCode.INSTANCE_AGENT_NOT_ENABLED)
}

/** vm_states Nova's `trigger_crash_dump` accepts (nova/compute/api.py). */
const CRASH_DUMP_STATES = [VmState.ACTIVE, VmState.PAUSED, VmState.RESCUED]

/**
 * trigger_crash_dump (2.17): an NMI to the guest, as an agent task. Nova
 * sets no task_state for it, so the instance's states stay as they are.
 */
export async function triggerCrashDump(deps: Store, tasks: TaskQueue, call: CallContext, instanceId: string): Promise<void> {
  const { instance } = await guardInstance(deps.db, call, instanceId, { policy: 'os_compute_api:servers:trigger_crash_dump', action: 'trigger_crash_dump', vmStates: CRASH_DUMP_STATES })
  // Nova: a server with no host is not ready (409), checked after its state.
  if (!instance.host) throw new InstanceNotReady(instance.uuid)
  const host = instance.host
  await deps.db.transaction().execute(async (trx) => {
    const actionId = await recordAction(trx, instance.uuid, 'trigger_crash_dump', actionContext(call))
    await tasks.enqueue(trx, { instanceUuid: instance.uuid, host, task: { kind: 'trigger_crash_dump' }, actionId })
  })
  tasks.notify(host)
}
