import type { ServerConsoleTokens, TaskResultDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { actionContext, type CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { getInstanceRow } from './instance-store.js'
import { assertNotLocked } from './instance-guards.js'
import { recordAction, finishAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { finalizeDeletion, releasePorts } from './task-results.js'
import { nowIso } from '../time.js'
import { deleteShelveImageOf } from './shelve-results.js'
import { dropSourceCopyOnDelete } from './cold-migration-results.js'

/**
 * `DELETE /servers/{id}`: allowed in any state (a rescued server too), unless
 * locked. A server that never reached a host is deleted at once; otherwise its
 * pending tasks are dropped and `destroy` is queued for the host. Its console
 * tokens go in the same transaction.
 */
export async function deleteServer(deps: TaskResultDeps & { consoles: Pick<ServerConsoleTokens, 'revokeForInstance'> }, tasks: TaskQueue, call: CallContext, instanceId: string): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:servers:delete', 'member')
  const instance = await getInstanceRow(deps.db, auth, instanceId)
  assertNotLocked(auth, instance)
  if (instance.task_state === TaskState.DELETING) return
  const now = nowIso()
  const local = !instance.host || instance.task_state === TaskState.SCHEDULING
  let migrationSource: string | null = null
  await deleteShelveImageOf(deps, instance)
  await deps.db.transaction().execute(async (trx) => {
    const queued = await trx.selectFrom('tasks').select('id').where('instance_uuid', '=', instance.uuid).where('status', '=', 'queued').execute()
    for (const task of queued) await tasks.abandon(trx, task.id, 'the server is being deleted')
    const actionId = await recordAction(trx, instance.uuid, 'delete', actionContext(call))
    // Nova's `clean_console_auths_for_instance`: the server's console URLs stop working with it.
    await deps.consoles.revokeForInstance(instance.uuid, trx)
    if (local) {
      await trx.updateTable('instances').set({ vm_state: VmState.DELETED, task_state: null, deleted: 1, deleted_at: now, terminated_at: now, updated_at: now }).where('uuid', '=', instance.uuid).execute()
      await releasePorts(trx, deps, instance)
      await finishAction(trx, actionId, 'Success')
    } else {
      await trx.updateTable('instances').set({ task_state: TaskState.DELETING, updated_at: now }).where('uuid', '=', instance.uuid).execute()
      await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: instance.host, actionId, task: { kind: 'destroy' } })
      migrationSource = await dropSourceCopyOnDelete(trx, tasks, instance.uuid)
    }
  })
  if (local) await finalizeDeletion(deps, instance.uuid)
  else tasks.notify(instance.host)
  if (migrationSource) tasks.notify(migrationSource)
}
