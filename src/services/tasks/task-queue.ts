import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { sql, type Kysely } from 'kysely'
import type { Database, Db } from '../../db/schema.js'
import type { TasksTable } from '../../db/tables/compute-tables.js'
import type { Task, TaskReport } from '../../agent-api/index.js'
import { nowIso } from '../time.js'

/** A task row with its payload parsed. */
export interface LeasedTask {
  id: string
  instanceUuid: string
  actionId: string | null
  host: string
  task: Task
  attempts: number
  /** A secret the task was queued with is gone (the control plane restarted before this lease): the task runs without it. */
  secretLost?: boolean
}

/**
 * The secret fields a task may carry. They never reach the task row: the
 * row stores null, the value stays in this process's memory until the task
 * ends, and `lease` puts it back into the task it hands to the agent.
 */
function withoutSecret(task: Task): { stored: Task; secret: string | null } {
  if (task.kind === 'rescue' && task.adminPass !== null) return { stored: { ...task, adminPass: null }, secret: task.adminPass }
  return { stored: task, secret: null }
}

const MAX_ATTEMPTS = 3

/** A task whose lease expired and that is not requeued; `hostDown` when its host's agent is gone. */
export interface ExpiredTask extends LeasedTask {
  hostDown: boolean
}

/** A task row as a LeasedTask (payload parsed, without its secret). */
function parsedRow(row: TasksTable): LeasedTask {
  return { id: row.id, instanceUuid: row.instance_uuid, actionId: row.action_id, host: row.host ?? '', task: JSON.parse(row.payload) as Task, attempts: row.attempts }
}

/** Told of each task that ends: its kind, outcome and seconds since it was queued (the metrics). */
export type TaskEndListener = (kind: string, outcome: 'done' | 'failed', seconds: number) => void

/**
 * The task queue: rows in the same database, written in the caller's
 * transaction. Agents lease with an expiry; an expired lease is retried up
 * to MAX_ATTEMPTS, then failed — never forgotten.
 */
export class TaskQueue {
  readonly #db: Kysely<Database>
  readonly #events = new EventEmitter()
  readonly #endListeners: TaskEndListener[] = []
  /** task id → its secret (a rescue's admin password), in memory only: see `withoutSecret`. */
  readonly #secrets = new Map<string, string>()
  #closed = false

  constructor(db: Kysely<Database>) {
    this.#db = db
    this.#events.setMaxListeners(0)
  }

  /** Calls `listener` for every task that ends from now on. */
  onEnded(listener: TaskEndListener): void {
    this.#endListeners.push(listener)
  }

  #ended(row: { kind: string; created_at: string }, outcome: 'done' | 'failed'): void {
    const seconds = (Date.now() - Date.parse(row.created_at)) / 1000
    for (const listener of this.#endListeners) listener(row.kind, outcome, seconds)
  }

  /** Queues a task for an instance inside `trx`; the host's agent is woken after commit by `notify`. */
  async enqueue(trx: Db, input: { instanceUuid: string; host: string | null; task: Task; actionId: string | null }): Promise<string> {
    const id = randomUUID()
    const now = nowIso()
    const { stored, secret } = withoutSecret(input.task)
    // Kept before the insert commits; a rolled-back enqueue leaves an entry no lease will ever ask for (dropped by `purgeFinished`).
    if (secret !== null) this.#secrets.set(id, secret)
    await trx.insertInto('tasks').values({
      id, instance_uuid: input.instanceUuid, action_id: input.actionId, host: input.host, kind: input.task.kind,
      payload: JSON.stringify(stored), status: 'queued', attempts: 0, leased_by: null, lease_expires_at: null,
      result: null, not_before: null, created_at: now, updated_at: now,
    }).execute()
    return id
  }

  /** Wakes the agent of `host` (call after the enqueuing transaction committed). */
  notify(host: string | null): void {
    if (host) this.#events.emit(`host:${host}`)
  }

  /**
   * Leases up to `max` queued tasks of `host`, at most one per instance and
   * none for an instance that already has a leased task. Waits up to `waitMs`
   * for work when there is none (long poll).
   */
  async lease(host: string, agentSession: string, leaseSeconds: number, max: number, waitMs: number): Promise<LeasedTask[]> {
    const deadline = Date.now() + waitMs
    for (;;) {
      if (this.#closed) return []
      const leased = await this.#tryLease(host, agentSession, leaseSeconds, max)
      const remaining = deadline - Date.now()
      if (leased.length > 0 || remaining <= 0) return leased
      await this.#waitForEvent([`host:${host}`, 'close'], Math.min(remaining, 5000))
    }
  }

  /** Resolves on the first of `events` or after `ms`, leaving no listener behind. */
  #waitForEvent(events: string[], ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        for (const event of events) this.#events.off(event, done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      for (const event of events) this.#events.once(event, done)
    })
  }

  /** Ends every long poll at once (the control plane is shutting down). */
  close(): void {
    this.#closed = true
    this.#events.emit('close')
  }

  async #tryLease(host: string, agentSession: string, leaseSeconds: number, max: number): Promise<LeasedTask[]> {
    return this.#db.transaction().execute(async (trx) => {
      const busy = trx.selectFrom('tasks as busy').select('busy.instance_uuid').where('busy.status', '=', 'leased')
      const candidates = await trx
        .selectFrom('tasks')
        .selectAll()
        .where('status', '=', 'queued')
        .where('host', '=', host)
        .where('instance_uuid', 'not in', busy)
        .orderBy('created_at')
        .orderBy('id')
        .limit(max * 4)
        .execute()
      const chosen: TasksTable[] = []
      const seen = new Set<string>()
      for (const row of candidates) {
        if (seen.has(row.instance_uuid) || chosen.length >= max) continue
        seen.add(row.instance_uuid)
        chosen.push(row)
      }
      const expires = new Date(Date.now() + leaseSeconds * 1000).toISOString()
      const out: LeasedTask[] = []
      for (const row of chosen) {
        const result = await trx.updateTable('tasks')
          .set({ status: 'leased', leased_by: agentSession, lease_expires_at: expires, attempts: sql`attempts + 1`, updated_at: nowIso() })
          .where('id', '=', row.id).where('status', '=', 'queued')
          .executeTakeFirst()
        if (Number(result.numUpdatedRows) === 1) out.push(this.#withSecret({ id: row.id, instanceUuid: row.instance_uuid, actionId: row.action_id, host, task: JSON.parse(row.payload) as Task, attempts: row.attempts + 1 }))
      }
      return out
    })
  }

  /** Puts a task's secret back for its agent (kept until the task ends: an expired lease runs again). */
  #withSecret(leased: LeasedTask): LeasedTask {
    if (leased.task.kind !== 'rescue') return leased
    const secret = this.#secrets.get(leased.id)
    if (secret === undefined) return { ...leased, secretLost: true }
    return { ...leased, task: { ...leased.task, adminPass: secret } }
  }

  /** Extends the leases an agent session holds (its heartbeat). */
  async renewLeases(agentSession: string, leaseSeconds: number): Promise<void> {
    await this.#db.updateTable('tasks')
      .set({ lease_expires_at: new Date(Date.now() + leaseSeconds * 1000).toISOString() })
      .where('status', '=', 'leased').where('leased_by', '=', agentSession)
      .execute()
  }

  /** Marks a leased task finished inside `trx`; false when the lease was lost meanwhile. */
  async finish(trx: Db, taskId: string, agentSession: string, report: TaskReport): Promise<boolean> {
    const ended = await trx.updateTable('tasks')
      .set({ status: report.ok ? 'done' : 'failed', result: JSON.stringify(report), lease_expires_at: null, updated_at: nowIso() })
      .where('id', '=', taskId).where('status', '=', 'leased').where('leased_by', '=', agentSession)
      .returning(['kind', 'created_at'])
      .executeTakeFirst()
    if (ended) {
      this.#secrets.delete(taskId)
      this.#ended(ended, report.ok ? 'done' : 'failed')
    }
    return ended !== undefined
  }

  /** Wakes whoever waits for this task (after the finishing transaction committed). */
  announceFinished(taskId: string): void {
    this.#events.emit(`task:${taskId}`)
  }

  /** Resolves with the task row once it is done or failed, or null after `timeoutMs`. */
  async waitFor(taskId: string, timeoutMs: number): Promise<TasksTable | null> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const row = await this.#db.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirst()
      if (!row || row.status === 'done' || row.status === 'failed') return row ?? null
      const remaining = deadline - Date.now()
      if (remaining <= 0) return null
      await this.#waitForEvent([`task:${taskId}`, 'close'], Math.min(remaining, 1000))
    }
  }

  /**
   * Leases that expired: requeued when attempts remain and the host's agent
   * is alive, otherwise returned so the caller can fail them cleanly
   * (instance state restored, event recorded). `deadHosts`: hosts whose agent
   * has not been heard from for a lease period — a task requeued there would
   * wait for an agent that may never come back.
   */
  async expireLeases(deadHosts: ReadonlySet<string> = new Set()): Promise<ExpiredTask[]> {
    const now = nowIso()
    const expired = await this.#db.selectFrom('tasks').selectAll().where('status', '=', 'leased').where('lease_expires_at', '<', now).execute()
    const exhausted: ExpiredTask[] = []
    for (const row of expired) {
      const hostDown = row.host !== null && deadHosts.has(row.host)
      if (row.attempts < MAX_ATTEMPTS && !hostDown) {
        await this.#db.updateTable('tasks').set({ status: 'queued', leased_by: null, lease_expires_at: null, updated_at: now })
          .where('id', '=', row.id).where('status', '=', 'leased').execute()
        this.notify(row.host)
      } else {
        exhausted.push({ ...parsedRow(row), hostDown })
      }
    }
    return exhausted
  }

  /** Tasks queued for one of `hosts` and unchanged since before `before` (ISO time), oldest first: no agent came for them. */
  async queuedOn(hosts: readonly string[], before: string): Promise<LeasedTask[]> {
    if (hosts.length === 0) return []
    const rows = await this.#db.selectFrom('tasks').selectAll().where('status', '=', 'queued').where('host', 'in', hosts).where('updated_at', '<', before)
      .orderBy('created_at').orderBy('id').execute()
    return rows.map(parsedRow)
  }

  /** Gives every lease one more lease period from now (the control plane restarted: no agent could heartbeat meanwhile). */
  async extendAllLeases(leaseSeconds: number): Promise<number> {
    const result = await this.#db.updateTable('tasks')
      .set({ lease_expires_at: new Date(Date.now() + leaseSeconds * 1000).toISOString() })
      .where('status', '=', 'leased')
      .executeTakeFirst()
    return Number(result.numUpdatedRows)
  }

  /** Requeues at once every task leased by an earlier session of a host's agent (it restarted). */
  async releaseStaleSessions(host: string, currentSession: string): Promise<number> {
    const result = await this.#db.updateTable('tasks')
      .set({ status: 'queued', leased_by: null, lease_expires_at: null, updated_at: nowIso() })
      .where('status', '=', 'leased').where('host', '=', host).where('leased_by', '!=', currentSession)
      .executeTakeFirst()
    const count = Number(result.numUpdatedRows)
    if (count > 0) this.notify(host)
    return count
  }

  /** Deletes finished (done or failed) tasks last changed before `before` (ISO time); their actions stay. */
  async purgeFinished(before: string): Promise<number> {
    const result = await this.#db.deleteFrom('tasks').where('status', 'in', ['done', 'failed']).where('updated_at', '<', before).executeTakeFirst()
    if (this.#secrets.size > 0) {
      // Secrets of tasks that ended another way (abandoned, rolled back): only unfinished tasks keep theirs.
      const open = await this.#db.selectFrom('tasks').select('id').where('status', 'in', ['queued', 'leased']).where('id', 'in', [...this.#secrets.keys()]).execute()
      const keep = new Set(open.map((r) => r.id))
      for (const id of this.#secrets.keys()) if (!keep.has(id)) this.#secrets.delete(id)
    }
    return Number(result.numDeletedRows)
  }

  /** Forces a task that can never run (its instance is gone) to failed. */
  async abandon(trx: Db, taskId: string, reason: string): Promise<void> {
    this.#secrets.delete(taskId)
    const ended = await trx.updateTable('tasks').set({ status: 'failed', result: JSON.stringify({ ok: false, error: reason }), lease_expires_at: null, updated_at: nowIso() })
      .where('id', '=', taskId).where('status', 'in', ['queued', 'leased']).returning(['kind', 'created_at']).executeTakeFirst()
    if (ended) this.#ended(ended, 'failed')
  }
}
