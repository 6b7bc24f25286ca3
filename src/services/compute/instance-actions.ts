import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { InstanceActionEventsTable, InstanceActionsTable } from '../../db/tables/compute-tables.js'
import { nowIso } from '../time.js'

type Db = Kysely<Database> | Transaction<Database>

/** Who started an action: the request and the caller. */
export interface ActionContext {
  requestId: string
  projectId: string
  userId: string
}

/** Records an instance action (`GET /servers/{id}/os-instance-actions`) inside `trx`; returns its id. */
export async function recordAction(trx: Db, instanceUuid: string, action: string, ctx: ActionContext): Promise<string> {
  const id = randomUUID()
  const now = nowIso()
  await trx.insertInto('instance_actions').values({
    id, instance_uuid: instanceUuid, action, request_id: ctx.requestId, project_id: ctx.projectId, user_id: ctx.userId,
    message: null, start_time: now, finish_time: null, updated_at: now,
  }).execute()
  return id
}

/** Starts an event of an action (e.g. `compute_rescue_instance`); returns its id. */
export async function startActionEvent(db: Db, actionId: string, event: string, host: string | null, details?: string): Promise<string> {
  const id = randomUUID()
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

/** Finishes every open event of an action and the action itself. */
export async function finishAction(db: Db, actionId: string, result: 'Success' | 'Error', reason?: string): Promise<void> {
  const now = nowIso()
  await db.updateTable('instance_action_events')
    .set({ finish_time: now, result, ...(reason ? { traceback: reason, details: reason } : {}) })
    .where('action_id', '=', actionId).where('finish_time', 'is', null).execute()
  await db.updateTable('instance_actions')
    .set({ finish_time: now, updated_at: now, ...(result === 'Error' ? { message: 'Error' } : {}) })
    .where('id', '=', actionId).execute()
}

export type ActionRow = InstanceActionsTable
export type ActionEventRow = InstanceActionEventsTable
