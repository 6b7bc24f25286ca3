import type { ConductorDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { loadInstanceDetails, isVolumeBacked } from './instance-store.js'
import { TaskState, VmState } from './instance-states.js'
import { selectHost } from '../scheduler/scheduler.js'
import { loadGroupPlacement } from '../scheduler/group-placement.js'
import { finishAction, finishActionEvent, startActionEvent } from './instance-actions.js'
import { instanceImageProperties } from './instance-spec.js'
import { nowIso } from '../time.js'

/** Nova's `NoValidHost` text, as a build reports it. */
const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.'

/**
 * The conductor's half of unshelving an offloaded server (Nova's conductor
 * `unshelve_instance`): schedule it again (its flavor, image traits, server
 * group and a `nova:<host>` zone), then in one transaction record the host,
 * task_state `spawning`, bind its ports there and queue `unshelve` with the
 * shelve image. No host: the server stays SHELVED_OFFLOADED with no task
 * state and the action ends in error, as in Nova. Idempotent: a server no
 * longer `unshelving` and offloaded is left alone.
 */
export async function placeUnshelved(deps: ConductorDeps, tasks: TaskQueue, uuid: string): Promise<void> {
  const db = deps.db
  const row = await db.selectFrom('instances').selectAll().where('uuid', '=', uuid).where('deleted', '=', 0)
    .where('vm_state', '=', VmState.SHELVED_OFFLOADED).where('task_state', '=', TaskState.UNSHELVING).executeTakeFirst()
  if (!row) return
  const [details] = await loadInstanceDetails(db, [row], { metadata: false, tags: false, securityGroups: false })
  const action = await db.selectFrom('instance_actions').select('id').where('instance_uuid', '=', uuid).where('action', '=', 'unshelve')
    .orderBy('start_time', 'desc').orderBy('id', 'desc').executeTakeFirst()
  const actionId = action?.id ?? null
  const eventId = actionId ? await startActionEvent(db, actionId, 'conductor_unshelve_instance', null) : null
  const zone = row.availability_zone ?? ''
  const selection = await selectHost(deps, {
    instanceUuid: uuid, projectId: row.project_id, userId: row.user_id, flavor: details!.flavor, volumeBacked: isVolumeBacked(details!.bdms),
    imageProperties: instanceImageProperties(details!), forcedHost: zone.startsWith('nova:') ? zone.slice(5) || null : null,
    group: await loadGroupPlacement(db, uuid),
  })
  if (!selection) {
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('instances').set({ task_state: null, updated_at: nowIso() }).where('uuid', '=', uuid).where('task_state', '=', TaskState.UNSHELVING).execute()
      if (eventId) await finishActionEvent(trx, eventId, 'Error', 'No valid host was found. ')
      if (actionId) await finishAction(trx, actionId, 'Error', NO_VALID_HOST)
    })
    deps.log.warn({ server: uuid }, `no valid host found to unshelve server ${uuid}`)
    return
  }
  const system = JSON.parse(row.system_metadata) as Record<string, string>
  const imageId = system.shelved_image_id || null
  const placed = await db.transaction().execute(async (trx) => {
    const moved = await trx.updateTable('instances').set({ host: selection.host, node: selection.host, task_state: TaskState.SPAWNING, updated_at: nowIso() })
      .where('uuid', '=', uuid).where('task_state', '=', TaskState.UNSHELVING).where('deleted', '=', 0).executeTakeFirst()
    if (Number(moved.numUpdatedRows) !== 1) return false
    await deps.network.bindHost(trx, uuid, selection.host)
    if (eventId) await finishActionEvent(trx, eventId, 'Success')
    await tasks.enqueue(trx, { instanceUuid: uuid, host: selection.host, actionId, task: { kind: 'unshelve', imageId, offloaded: true } })
    return true
  })
  if (!placed) {
    await deps.placement.deleteAllocations(uuid)
    return
  }
  tasks.notify(selection.host)
}

/** After a restart: offloaded servers left `unshelving` (the conductor had not queued their task). */
export async function pendingUnshelves(deps: Pick<ConductorDeps, 'db'>): Promise<string[]> {
  const rows = await deps.db.selectFrom('instances').select('uuid').where('deleted', '=', 0)
    .where('vm_state', '=', VmState.SHELVED_OFFLOADED).where('task_state', '=', TaskState.UNSHELVING).execute()
  return rows.map((r) => r.uuid)
}
