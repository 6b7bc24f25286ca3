import type { Store } from './ports.js'
import type { CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { InvalidRequest, NotFound } from '../errors.js'
import type { ActionEventRow, ActionRow } from './instance-actions.js'

async function instanceInScope(deps: Store, call: CallContext, id: string, rule: string) {
  const auth = authorize(call.auth, rule, 'reader')
  let q = deps.db.selectFrom('instances').select(['uuid', 'project_id']).where('uuid', '=', id)
  if (!auth.isAdmin) q = q.where('project_id', '=', auth.projectId ?? '')
  // Actions of deleted servers stay visible (Nova 2.21).
  const row = await q.executeTakeFirst()
  if (!row) throw new NotFound(`Instance ${id} could not be found.`)
  return row
}

/** Paging and filters of the actions list (Nova 2.58: limit, marker, changes-since; 2.66: changes-before). */
export interface ActionListPage {
  limit?: number
  /** The request_id of the last action of the previous page. */
  marker?: string
  changesSince?: string
  changesBefore?: string
}

/** `GET /servers/{id}/os-instance-actions`, newest first, after `marker`, at most `limit`. */
export async function listInstanceActions(deps: Store, call: CallContext, id: string, page: ActionListPage = {}): Promise<ActionRow[]> {
  await instanceInScope(deps, call, id, 'os_compute_api:os-instance-actions:list')
  let q = deps.db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', id)
  if (page.marker !== undefined) {
    const marker = await deps.db.selectFrom('instance_actions').select(['start_time', 'id']).where('instance_uuid', '=', id).where('request_id', '=', page.marker).executeTakeFirst()
    if (!marker) throw new InvalidRequest(`Marker ${page.marker} could not be found.`)
    q = q.where((eb) => eb.or([eb('start_time', '<', marker.start_time), eb.and([eb('start_time', '=', marker.start_time), eb('id', '<', marker.id)])]))
  }
  if (page.changesSince !== undefined) q = q.where('updated_at', '>=', page.changesSince)
  if (page.changesBefore !== undefined) q = q.where('updated_at', '<=', page.changesBefore)
  q = q.orderBy('start_time', 'desc').orderBy('id', 'desc')
  if (page.limit !== undefined) q = q.limit(page.limit)
  return q.execute()
}

/** `GET /servers/{id}/os-instance-actions/{request_id}` with its events. */
export async function showInstanceAction(deps: Store, call: CallContext, id: string, requestId: string): Promise<{ action: ActionRow; events: ActionEventRow[] }> {
  await instanceInScope(deps, call, id, 'os_compute_api:os-instance-actions:show')
  const action = await deps.db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', id).where('request_id', '=', requestId).orderBy('start_time', 'desc').executeTakeFirst()
  if (!action) throw new NotFound(`Action for request_id ${requestId} on instance ${id} not found`)
  const events = await deps.db.selectFrom('instance_action_events').selectAll().where('action_id', '=', action.id)
    // Nova's order (action_events_get): newest first; ids are time-ordered UUIDs, so events started in the same millisecond keep their order.
    .orderBy('start_time', 'desc').orderBy('id', 'desc').execute()
  return { action, events }
}
