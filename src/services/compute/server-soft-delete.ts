/**
 * Nova's deferred delete (`reclaim_instance_interval` > 0): DELETE powers the
 * server off as SOFT_DELETED, keeping its disks, ports, allocations and quota;
 * `restore` powers it on again; a periodic job deletes those soft-deleted
 * longer than the interval (nova/compute/api.py `soft_delete`, `restore`;
 * manager `_reclaim_queued_deletes`).
 */
import type { LifeboatConfig } from '../../config.js'
import type { TaskResultDeps, ServerConsoleTokens } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { actionContext, ownerAuth, type CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { getInstanceRow } from './instance-store.js'
import { assertNotLocked, claimTaskState, guardInstance } from './instance-guards.js'
import { recordAction, finishAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { deleteServer } from './server-delete.js'
import { nowIso } from '../time.js'

type Deps = TaskResultDeps & { readonly config: LifeboatConfig; consoles: Pick<ServerConsoleTokens, 'revokeForInstance'> }

/**
 * DELETE with soft delete on. Like Nova's servers.py: a server that can't be
 * soft-deleted (never launched, or a task under way) is deleted for real.
 */
export async function deleteOrSoftDelete(deps: Deps, tasks: TaskQueue, call: CallContext, instanceId: string): Promise<void> {
  if (deps.config.compute.reclaimInstanceIntervalSeconds <= 0) return deleteServer(deps, tasks, call, instanceId)
  const auth = authorize(call.auth, 'os_compute_api:servers:delete', 'member')
  const instance = await getInstanceRow(deps.db, auth, instanceId)
  assertNotLocked(auth, instance)
  if (!instance.launched_at || !instance.host || instance.task_state !== null) return deleteServer(deps, tasks, call, instanceId)
  const host = instance.host
  const now = nowIso()
  // Already soft-deleted: Nova soft-deletes again, which only restarts the reclaim clock.
  const again = instance.vm_state === VmState.SOFT_DELETED
  await deps.db.transaction().execute(async (trx) => {
    const actionId = await recordAction(trx, instance.uuid, 'delete', actionContext(call))
    if (again) {
      await trx.updateTable('instances').set({ deleted_at: now, updated_at: now }).where('uuid', '=', instance.uuid).execute()
      await finishAction(trx, actionId, 'Success')
      return
    }
    await claimTaskState(trx, instance, 'delete', TaskState.SOFT_DELETING, { deleted_at: now })
    await tasks.enqueue(trx, { instanceUuid: instance.uuid, host, actionId, task: { kind: 'soft_delete' } })
  })
  if (!again) tasks.notify(host)
}

/** restore: a SOFT_DELETED server (409 otherwise, with Nova's message) is powered on again; its resources were kept. */
export async function restoreServer(deps: Deps, tasks: TaskQueue, call: CallContext, instanceId: string): Promise<void> {
  const { instance } = await guardInstance(deps.db, call, instanceId, { policy: 'os_compute_api:os-deferred-delete:restore', action: 'restore', vmStates: [VmState.SOFT_DELETED] })
  const host = instance.host
  await deps.db.transaction().execute(async (trx) => {
    const actionId = await recordAction(trx, instance.uuid, 'restore', actionContext(call))
    if (!host) {
      await claimTaskState(trx, instance, 'restore', TaskState.RESTORING, { deleted_at: null, vm_state: VmState.ACTIVE })
      await trx.updateTable('instances').set({ task_state: null }).where('uuid', '=', instance.uuid).execute()
      await finishAction(trx, actionId, 'Success')
      return
    }
    await claimTaskState(trx, instance, 'restore', TaskState.RESTORING, { deleted_at: null })
    await tasks.enqueue(trx, { instanceUuid: instance.uuid, host, actionId, task: { kind: 'restore' } })
  })
  if (host) tasks.notify(host)
}

/** The periodic reclaim: deletes the servers soft-deleted longer than the interval, as their owner (a lock does not stop it). */
export async function reclaimSoftDeleted(deps: Deps, tasks: TaskQueue): Promise<void> {
  const interval = deps.config.compute.reclaimInstanceIntervalSeconds
  if (interval <= 0) return
  const cutoff = new Date(Date.now() - interval * 1000).toISOString()
  const due = await deps.db.selectFrom('instances').select(['uuid', 'project_id', 'user_id'])
    .where('deleted', '=', 0).where('vm_state', '=', VmState.SOFT_DELETED).where('task_state', 'is', null)
    .where('deleted_at', '<=', cutoff).execute()
  for (const row of due) {
    const auth = { ...ownerAuth(row.project_id, row.user_id), isAdmin: true }
    await deleteServer(deps, tasks, { auth, requestId: `req-reclaim-${row.uuid}` }, row.uuid)
      .catch((error: unknown) => deps.log.warn({ err: error, server: row.uuid }, 'reclaiming a soft-deleted server failed'))
  }
}
