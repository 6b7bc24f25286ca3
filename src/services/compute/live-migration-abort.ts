import type { TaskResultDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { AfterCommit } from './task-results.js'
import type { CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { getInstanceDetails } from './instance-store.js'
import { assertNotLocked, assertVmState } from './instance-guards.js'
import { finishAction } from './instance-actions.js'
import { TaskState } from './instance-states.js'
import { rollBackLiveMigration } from './live-migration-results.js'
import { nowIso } from '../time.js'

/**
 * DELETE `/servers/{id}/migrations/{migrationId}` (Nova's
 * `live_migrate_abort`, 2.24; `queued` and `preparing` from 2.65): the
 * server must be `migrating`, the migration its own (404), in a state that
 * can be aborted (400, Nova's text). Before the source's `live_migration`
 * task is taken, the migration ends `cancelled` at once: the server stays
 * on its source, its allocation back, the destination cleaned. Once the
 * source is sending, the migration is `cancelling` and the source's report
 * decides (a completed migration stays completed).
 */
export async function abortLiveMigration(deps: TaskResultDeps, tasks: TaskQueue, call: CallContext, instanceId: string, migrationId: string, options: { abortQueued: boolean }): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:servers:migrations:delete', 'admin')
  const { row: instance } = await getInstanceDetails(deps.db, auth, instanceId, { metadata: false, tags: false, securityGroups: false })
  assertNotLocked(auth, instance)
  assertVmState(instance, 'abort live migration', null, [TaskState.MIGRATING])
  const id = Number(migrationId)
  const migration = Number.isInteger(id)
    ? await deps.db.selectFrom('migrations').selectAll().where('id', '=', id).where('instance_uuid', '=', instance.uuid).where('deleted', '=', 0).executeTakeFirst()
    : undefined
  if (!migration) throw new NotFound(`Migration ${migrationId} not found for instance ${instance.uuid}`)
  const allowed = options.abortQueued ? ['running', 'queued', 'preparing'] : ['running']
  if (migration.migration_type !== 'live-migration' || !allowed.includes(migration.status)) {
    throw new InvalidRequest(`Migration ${migrationId} state of instance ${instance.uuid} is ${migration.status}. Cannot abort live migration while the migration is in this state.`)
  }
  const after: AfterCommit = []
  await deps.db.transaction().execute(async (trx) => {
    const pending = await trx.selectFrom('tasks').select(['id', 'status', 'action_id']).where('instance_uuid', '=', instance.uuid)
      .where('kind', '=', 'live_migration').where('status', 'in', ['queued', 'leased']).executeTakeFirst()
    if (migration.status === 'running' && pending?.status === 'leased') {
      await trx.updateTable('migrations').set({ status: 'cancelling', updated_at: nowIso() }).where('id', '=', migration.id).execute()
      return
    }
    if (pending) await tasks.abandon(trx, pending.id, 'live migration aborted')
    await rollBackLiveMigration(trx, deps, tasks, instance, migration, 'cancelled', after)
    const action = await trx.selectFrom('instance_actions').select('id').where('instance_uuid', '=', instance.uuid).where('action', '=', 'live-migration')
      .orderBy('start_time', 'desc').orderBy('id', 'desc').executeTakeFirst()
    if (action) await finishAction(trx, action.id, 'Error', 'Live migration cancelled')
  })
  for (const step of after) await step()
}

/**
 * POST `/servers/{id}/migrations/{migrationId}/action` `force_complete`
 * (Nova's `live_migrate_force_complete`, 2.22): the server ACTIVE or PAUSED
 * and `migrating`, the migration its own and `running` (else Nova's 400).
 * As the libvirt driver without post-copy, the source pauses the guest so
 * the last pages converge: the flag rides on the source's `live_migration`
 * task while it waits to be taken (a transfer already under way finishes
 * on its own).
 */
export async function forceCompleteLiveMigration(deps: TaskResultDeps, call: CallContext, instanceId: string, migrationId: string): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:servers:migrations:force_complete', 'admin')
  const { row: instance } = await getInstanceDetails(deps.db, auth, instanceId, { metadata: false, tags: false, securityGroups: false })
  assertNotLocked(auth, instance)
  assertVmState(instance, 'force_complete', ['active', 'paused'], [TaskState.MIGRATING])
  const id = Number(migrationId)
  const migration = Number.isInteger(id)
    ? await deps.db.selectFrom('migrations').selectAll().where('id', '=', id).where('instance_uuid', '=', instance.uuid).where('deleted', '=', 0).executeTakeFirst()
    : undefined
  if (!migration) throw new InvalidRequest(`Migration ${migrationId} not found for instance ${instance.uuid}`)
  if (migration.migration_type !== 'live-migration' || migration.status !== 'running') {
    throw new InvalidRequest(`Migration ${migrationId} state of instance ${instance.uuid} is ${migration.status}. Cannot force complete while the migration is in this state.`)
  }
  const queued = await deps.db.selectFrom('tasks').select(['id', 'payload']).where('instance_uuid', '=', instance.uuid).where('kind', '=', 'live_migration').where('status', '=', 'queued').executeTakeFirst()
  if (queued) await deps.db.updateTable('tasks').set({ payload: JSON.stringify({ ...JSON.parse(queued.payload), forceComplete: true }) }).where('id', '=', queued.id).where('status', '=', 'queued').execute()
}
