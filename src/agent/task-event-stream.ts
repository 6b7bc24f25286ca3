import type { AgentApiClient } from './agent-api-client.js'
import type { TaskEvent } from '../agent-api/index.js'

/** How long an event may wait for others to share its request. */
const FLUSH_DELAY_MS = 20

/**
 * A task's instance-action events on their way to the control plane, in
 * order and without holding the task up: events go in batches, at most
 * FLUSH_DELAY_MS after they happened (one request in flight at a time).
 * What is left when the task ends travels with its result (`drain`), so a
 * quick task sends no event request at all. A failed send keeps its events
 * for the result.
 */
export class TaskEventStream {
  readonly #api: AgentApiClient
  readonly #taskId: string
  readonly #session: string
  readonly #pending: TaskEvent[] = []
  #inFlight: Promise<void> | null = null
  #timer: NodeJS.Timeout | null = null
  #failed = false

  constructor(api: AgentApiClient, taskId: string, session: string) {
    this.#api = api
    this.#taskId = taskId
    this.#session = session
  }

  /** Records an event now (its time is taken here) and sends it when it can. */
  record(event: Omit<TaskEvent, 'at'>): void {
    this.#pending.push({ ...event, at: new Date().toISOString() })
    this.#timer ??= setTimeout(() => {
      this.#timer = null
      this.#send()
    }, FLUSH_DELAY_MS)
  }

  #send(): void {
    if (this.#inFlight || this.#failed || this.#pending.length === 0) return
    const batch = this.#pending.splice(0)
    this.#inFlight = this.#api.events(this.#taskId, { session: this.#session, events: batch }).then(
      () => undefined,
      () => {
        // Kept to go with the task's result.
        this.#failed = true
        this.#pending.unshift(...batch)
      },
    ).finally(() => {
      this.#inFlight = null
      this.#send()
    })
  }

  /** Waits for the request in flight and hands over the events not sent yet. */
  async drain(): Promise<TaskEvent[]> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    while (this.#inFlight) await this.#inFlight
    return this.#pending.splice(0)
  }
}
