import { isAtLeast, type Microversion } from '../../common/microversion.js'
import { hostId } from './server-view.js'
import type { ActionEventRow, ActionRow } from '../../../services/compute/instance-actions.js'

/** Nova's action/event time format: microseconds, no zone designator. */
function actionTime(iso: string | null): string | null {
  return iso === null ? null : iso.replace(/\.(\d{3})Z$/, '.$1000')
}

/** One instance action (`os-instance-actions`): `updated_at` from 2.58. */
export function actionView(action: ActionRow, v: Microversion) {
  return {
    action: action.action, instance_uuid: action.instance_uuid, message: action.message, project_id: action.project_id,
    request_id: action.request_id, start_time: actionTime(action.start_time), user_id: action.user_id,
    ...(isAtLeast(v, '2.58') ? { updated_at: actionTime(action.updated_at) } : {}),
  }
}

/** One event of an action: traceback and host for admins, hostId from 2.62, details from 2.84. */
export function eventView(event: ActionEventRow, v: Microversion, isAdmin: boolean, projectId: string) {
  return {
    event: event.event, start_time: actionTime(event.start_time), finish_time: actionTime(event.finish_time), result: event.result,
    ...(isAdmin ? { traceback: event.traceback } : {}),
    ...(isAtLeast(v, '2.62') ? { hostId: hostId(projectId, event.host), ...(isAdmin ? { host: event.host ?? '' } : {}) } : {}),
    ...(isAtLeast(v, '2.84') ? { details: event.details } : {}),
  }
}
