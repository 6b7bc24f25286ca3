import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/schema.js'
import type { ConductorDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { loadInstanceDetails, isVolumeBacked } from './instance-store.js'
import { TaskState, VmState } from './instance-states.js'
import { migratingRescueOf } from './rescued-moves.js'
import { selectHost } from '../scheduler/scheduler.js'
import { loadGroupPlacement } from '../scheduler/group-placement.js'
import { finishAction, finishActionEvent, startActionEvent } from './instance-actions.js'
import { instanceImageProperties } from './instance-spec.js'
import { nowIso } from '../time.js'

/** Nova's `NoValidHost` text. */
const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.'

/** The instance's evacuation still `accepted` (not yet placed), or undefined. */
async function acceptedEvacuation(db: Db, uuid: string) {
  return db.selectFrom('migrations').selectAll().where('instance_uuid', '=', uuid).where('migration_type', '=', 'evacuation')
    .where('status', '=', 'accepted').where('deleted', '=', 0).orderBy('id', 'desc').executeTakeFirst()
}

/**
 * The conductor's half of an evacuation (Nova's conductor `rebuild_instance`
 * with `evacuate=True`): schedule the server again, never on its source host
 * (a requested host is the only candidate), then in one transaction move it
 * there (host, port bindings, the migration `pre-migrating`) and queue a
 * `rebuild` on the new host from the server's image: the agent there spawns
 * it as a rebuild does (its root volume, for a volume-backed server). The
 * placement claim on the new host replaces the instance's allocation on the
 * dead one (Nova keeps both until the source comes back; Lifeboat frees the
 * dead host's share at once). No host: the migration and action end in
 * error, the server keeps its state with no task, as Nova's conductor leaves it.
 */
export async function placeEvacuated(deps: ConductorDeps, tasks: TaskQueue, uuid: string): Promise<void> {
  const db = deps.db
  const row = await db.selectFrom('instances').selectAll().where('uuid', '=', uuid).where('deleted', '=', 0).where('task_state', '=', TaskState.REBUILDING).executeTakeFirst()
  const migration = await acceptedEvacuation(db, uuid)
  if (!row || !migration) return
  const [details] = await loadInstanceDetails(db, [row], { metadata: false, tags: false, securityGroups: false })
  const action = await db.selectFrom('instance_actions').select('id').where('instance_uuid', '=', uuid).where('action', '=', 'evacuate')
    .orderBy('start_time', 'desc').orderBy('id', 'desc').executeTakeFirst()
  const actionId = action?.id ?? null
  const eventId = actionId ? await startActionEvent(db, actionId, 'conductor_rebuild_server', null) : null
  const selection = await selectHost(deps, {
    instanceUuid: uuid, projectId: row.project_id, userId: row.user_id, flavor: details!.flavor, volumeBacked: isVolumeBacked(details!.bdms),
    imageProperties: instanceImageProperties(details!), forcedHost: migration.dest_compute, ignoreHosts: migration.source_compute ? [migration.source_compute] : [],
    group: await loadGroupPlacement(db, uuid),
  })
  if (!selection) {
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('instances').set({ task_state: null, updated_at: nowIso() }).where('uuid', '=', uuid).where('task_state', '=', TaskState.REBUILDING).execute()
      await trx.updateTable('migrations').set({ status: 'error', updated_at: nowIso() }).where('id', '=', migration.id).execute()
      await trx.insertInto('instance_faults').values({ id: randomUUID(), instance_uuid: uuid, code: 400, message: NO_VALID_HOST, details: '', created_at: nowIso() }).execute()
      if (eventId) await finishActionEvent(trx, eventId, 'Error', 'No valid host was found. ')
      if (actionId) await finishAction(trx, actionId, 'Error', NO_VALID_HOST)
    })
    deps.log.warn({ server: uuid }, `no valid host found to evacuate server ${uuid} to`)
    return
  }
  const system = JSON.parse(row.system_metadata) as Record<string, string>
  const imageId = row.image_ref || system.image_base_image_ref || ''
  // A rescued server is rescued again on its new host after the rebuild, with the rescue it had (beyond Nova).
  const rescue = row.vm_state === VmState.RESCUED ? await migratingRescueOf(db, row) : null
  const placed = await db.transaction().execute(async (trx) => {
    const moved = await trx.updateTable('instances').set({ host: selection.host, node: selection.host, updated_at: nowIso() })
      .where('uuid', '=', uuid).where('task_state', '=', TaskState.REBUILDING).where('deleted', '=', 0).executeTakeFirst()
    if (Number(moved.numUpdatedRows) !== 1) return false
    await trx.updateTable('migrations').set({ status: 'pre-migrating', dest_compute: selection.host, dest_node: selection.host, updated_at: nowIso() }).where('id', '=', migration.id).execute()
    await deps.network.bindHost(trx, uuid, selection.host)
    if (eventId) await finishActionEvent(trx, eventId, 'Success')
    await tasks.enqueue(trx, { instanceUuid: uuid, host: selection.host, actionId, task: { kind: 'rebuild', imageId, previousVmState: row.vm_state, ...(rescue ? { rescue } : {}) } })
    return true
  })
  if (placed) tasks.notify(selection.host)
}

/** After a restart: evacuations accepted but never placed (the conductor had not queued their rebuild). */
export async function pendingEvacuations(deps: Pick<ConductorDeps, 'db'>): Promise<string[]> {
  const rows = await deps.db.selectFrom('migrations').innerJoin('instances', 'instances.uuid', 'migrations.instance_uuid').select('instances.uuid')
    .where('migrations.migration_type', '=', 'evacuation').where('migrations.status', '=', 'accepted')
    .where('instances.deleted', '=', 0).where('instances.task_state', '=', TaskState.REBUILDING).execute()
  return rows.map((r) => r.uuid)
}

/**
 * The rebuild's end on the new host: the evacuation is `done` (Nova's
 * `rebuild_instance` on success) or `failed`. Inside the finishing transaction.
 */
export async function finishEvacuation(trx: Db, instanceUuid: string, ok: boolean): Promise<void> {
  await trx.updateTable('migrations').set({ status: ok ? 'done' : 'failed', updated_at: nowIso() }).where('instance_uuid', '=', instanceUuid)
    .where('migration_type', '=', 'evacuation').where('status', '=', 'pre-migrating').execute()
}

/**
 * Nova's `_destroy_evacuated_instances`, at an agent's (re)start: the guests it
 * still has whose server was evacuated away from it (the server on another
 * host, an evacuation from this host). The agent destroys them (local disks
 * only; volumes are the new host's now) instead of ever starting them again;
 * their evacuations are `completed`.
 */
export async function evacuatedGuests(db: Db, host: string, guests: readonly string[]): Promise<string[]> {
  if (guests.length === 0) return []
  const rows = await db.selectFrom('migrations').innerJoin('instances', 'instances.uuid', 'migrations.instance_uuid').select(['migrations.id', 'instances.uuid'])
    .where('migrations.migration_type', '=', 'evacuation').where('migrations.source_compute', '=', host)
    .where('migrations.status', 'in', ['accepted', 'pre-migrating', 'done', 'completed'])
    .where('instances.uuid', 'in', [...guests]).where((eb) => eb.or([eb('instances.host', 'is', null), eb('instances.host', '!=', host), eb('instances.deleted', '!=', 0)])).execute()
  const ids = rows.map((r) => r.id)
  if (ids.length > 0) await db.updateTable('migrations').set({ status: 'completed', updated_at: nowIso() }).where('id', 'in', ids).where('status', '=', 'done').execute()
  return [...new Set(rows.map((r) => r.uuid))]
}
