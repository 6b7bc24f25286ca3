import { v7 as timeOrderedUuid } from 'uuid'
import type { Db } from '../../db/schema.js'
import type { InstanceActionEventsTable, InstanceActionsTable } from '../../db/tables/compute-tables.js'
import { nowIso } from '../time.js'
import type { TaskEvent } from '../../agent-api/index.js'

/** Who started an action: the request and the caller. */
export interface ActionContext {
  requestId: string
  projectId: string
  userId: string
}

/** Records an instance action (`GET /servers/{id}/os-instance-actions`) inside `trx`; returns its id. */
export async function recordAction(trx: Db, instanceUuid: string, action: string, ctx: ActionContext): Promise<string> {
  // Time-ordered: actions started in the same millisecond still list newest first.
  const id = timeOrderedUuid()
  const now = nowIso()
  await trx.insertInto('instance_actions').values({
    id, instance_uuid: instanceUuid, action, request_id: ctx.requestId, project_id: ctx.projectId, user_id: ctx.userId,
    message: null, start_time: now, finish_time: null, updated_at: now,
  }).execute()
  return id
}

/** Starts an event of an action (e.g. `compute_rescue_instance`); returns its id. */
export async function startActionEvent(db: Db, actionId: string, event: string, host: string | null, details?: string): Promise<string> {
  const id = timeOrderedUuid()
  await db.insertInto('instance_action_events').values({
    id, action_id: actionId, event, start_time: nowIso(), finish_time: null, result: null, traceback: null, details: details ?? null, host,
  }).execute()
  await db.updateTable('instance_actions').set({ updated_at: nowIso() }).where('id', '=', actionId).execute()
  return id
}

/** Finishes an event: `Success` or `Error` with the reason in `traceback`/`details` (and the action's message). */
export async function finishActionEvent(db: Db, eventId: string, result: 'Success' | 'Error', reason?: string): Promise<void> {
  const now = nowIso()
  const event = await db.updateTable('instance_action_events')
    .set({ finish_time: now, result, ...(reason ? { traceback: reason, details: reason } : {}) })
    .where('id', '=', eventId).returning('action_id').executeTakeFirst()
  if (event) {
    await db.updateTable('instance_actions').set({ updated_at: now, ...(result === 'Error' ? { message: 'Error' } : {}) })
      .where('id', '=', event.action_id).execute()
  }
}

/**
 * Records events a host reported, in order: a start adds an event row, a
 * finish completes the open row of the same name (a start and finish in
 * one batch make one finished row). An `Error` marks the action too.
 */
export async function recordActionEvents(db: Db, actionId: string, host: string, events: TaskEvent[]): Promise<void> {
  if (events.length === 0) return
  const inserts: InstanceActionEventsTable[] = []
  const open = new Map<string, InstanceActionEventsTable>()
  let failed = false
  for (const e of events) {
    const at = validTime(e.at)
    if (e.phase === 'start') {
      const row: InstanceActionEventsTable = { id: timeOrderedUuid(), action_id: actionId, event: e.event, start_time: at, finish_time: null, result: null, traceback: null, details: e.details ?? null, host }
      inserts.push(row)
      open.set(e.event, row)
      continue
    }
    const result = e.result ?? 'Success'
    failed ||= result === 'Error'
    const reason = e.details ? { traceback: e.detail ?? e.details, details: e.details } : {}
    const row = open.get(e.event)
    if (row) {
      Object.assign(row, { finish_time: at, result, ...reason })
      open.delete(e.event)
    } else {
      await db.updateTable('instance_action_events').set({ finish_time: at, result, ...reason })
        .where('action_id', '=', actionId).where('event', '=', e.event).where('finish_time', 'is', null).execute()
    }
  }
  if (inserts.length > 0) await db.insertInto('instance_action_events').values(inserts).execute()
  await db.updateTable('instance_actions').set({ updated_at: nowIso(), ...(failed ? { message: 'Error' } : {}) }).where('id', '=', actionId).execute()
}

/** A reported time as stored (ISO 8601 UTC), or now when it is not a time. */
function validTime(at: string): string {
  const time = new Date(at)
  return Number.isNaN(time.getTime()) ? nowIso() : time.toISOString()
}

/** Finishes every open event of an action and the action itself. */
export async function finishAction(db: Db, actionId: string, result: 'Success' | 'Error', reason?: string, detail?: string): Promise<void> {
  const now = nowIso()
  await db.updateTable('instance_action_events')
    .set({ finish_time: now, result, ...(reason ? { traceback: detail ?? reason, details: reason } : {}) })
    .where('action_id', '=', actionId).where('finish_time', 'is', null).execute()
  await db.updateTable('instance_actions')
    .set({ finish_time: now, updated_at: now, ...(result === 'Error' ? { message: 'Error' } : {}) })
    .where('id', '=', actionId).execute()
}

export type ActionRow = InstanceActionsTable
export type ActionEventRow = InstanceActionEventsTable
