import type { Store } from './ports.js'
import type { CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { NotFound } from '../errors.js'
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

/** `GET /servers/{id}/os-instance-actions`, newest first. */
export async function listInstanceActions(deps: Store, call: CallContext, id: string): Promise<ActionRow[]> {
  await instanceInScope(deps, call, id, 'os_compute_api:os-instance-actions:list')
  return deps.db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', id).orderBy('start_time', 'desc').orderBy('id', 'desc').execute()
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
