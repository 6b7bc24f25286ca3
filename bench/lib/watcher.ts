import type { BenchClient } from './http.js'
import { now } from './stats.js'
import { sleep } from './servers.js'

interface Waiter {
  status: string
  resolve: (arrived: number) => void
  reject: (error: Error) => void
}

/**
 * Watches many servers with one client: `GET /servers/detail?changes-since=`
 * every `intervalMs`, as an efficient client would, so that the bench's own
 * polling doesn't eat the CPU the server under test needs.
 */
export class StatusWatcher {
  readonly #client: BenchClient
  readonly #intervalMs: number
  readonly #marginMs: number
  readonly #waiters = new Map<string, Waiter>()
  #running = false
  #loop: Promise<void> | null = null
  /** Polls made, for the report. */
  polls = 0

  constructor(client: BenchClient, intervalMs = 2, marginMs = 250) {
    this.#client = client
    this.#intervalMs = intervalMs
    this.#marginMs = marginMs
  }

  /** Starts polling. */
  start(): void {
    this.#running = true
    this.#loop = this.#run()
  }

  /** Stops polling (waiters left pending are rejected). */
  async stop(): Promise<void> {
    this.#running = false
    await this.#loop
    for (const [id, waiter] of this.#waiters) waiter.reject(new Error(`watcher stopped while ${id} waited for ${waiter.status}`))
    this.#waiters.clear()
  }

  /** Resolves with the arrival time (performance.now) of the answer that showed `status` with no task_state. */
  waitFor(id: string, status: string): Promise<number> {
    return new Promise((resolve, reject) => this.#waiters.set(id, { status, resolve, reject }))
  }

  async #run(): Promise<void> {
    while (this.#running) {
      if (this.#waiters.size > 0) {
        const since = new Date(Date.now() - this.#marginMs).toISOString()
        const res = await this.#client.request('GET', `/compute/v2.1/servers/detail?changes-since=${encodeURIComponent(since)}`)
        const arrived = now()
        this.polls++
        if (res.status !== 200) throw new Error(`watcher poll failed: ${res.status} ${JSON.stringify(res.body)}`)
        for (const server of res.body.servers as Array<Record<string, any>>) {
          const waiter = this.#waiters.get(server.id)
          if (!waiter) continue
          if (server.status === waiter.status && server['OS-EXT-STS:task_state'] === null) {
            this.#waiters.delete(server.id)
            waiter.resolve(arrived)
          } else if (server.status === 'ERROR' && waiter.status !== 'ERROR') {
            this.#waiters.delete(server.id)
            waiter.reject(new Error(`server ${server.id} went to ERROR: ${JSON.stringify(server.fault)}`))
          }
        }
      }
      await sleep(this.#intervalMs)
    }
  }
}
