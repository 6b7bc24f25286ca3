import { createHash, timingSafeEqual } from 'node:crypto'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Store } from '../store.js'
import { SERVICE_DOWN_SECONDS, serviceIsUp } from '../compute/compute-hosts.js'

/** Latency buckets (seconds): API calls take milliseconds, agent long polls up to ~30 s. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
/** Task durations (seconds, queued to finished): fake tasks take milliseconds, QEMU boots and conversions minutes. */
const TASK_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/**
 * The operator's metrics in Prometheus' text format (prom-client): requests
 * and tasks are counted as they end; servers, agents and queued tasks are read
 * from the database at each scrape, so they hold across restarts and agree
 * with what the API shows.
 */
export class MetricsService {
  readonly #registry = new Registry()
  readonly #requests: Histogram<'service' | 'route' | 'method' | 'status_class'>
  readonly #tasks: Histogram<'kind' | 'outcome'>
  readonly #scrapeErrors: Counter
  readonly #operatorToken: Buffer | null
  #defaultsCollected = false

  /**
   * `operatorToken`: the `LIFEBOAT_METRICS_TOKEN` a scraper may present instead of an admin token ('' for none);
   * `serviceDownSeconds`: Nova's `service_down_time`, for agents up or down.
   */
  constructor(deps: Store, operatorToken: string, serviceDownSeconds = SERVICE_DOWN_SECONDS) {
    const { db, log } = deps
    this.#operatorToken = operatorToken ? digest(operatorToken) : null
    const registers = [this.#registry]
    this.#requests = new Histogram({
      name: 'lifeboat_http_request_duration_seconds', help: 'API requests by service, route pattern, method and status class, and how long they took',
      labelNames: ['service', 'route', 'method', 'status_class'], buckets: REQUEST_BUCKETS, registers,
    })
    this.#tasks = new Histogram({
      name: 'lifeboat_task_duration_seconds', help: 'Finished compute tasks by kind and outcome (done or failed), from queued to finished',
      labelNames: ['kind', 'outcome'], buckets: TASK_BUCKETS, registers,
    })
    this.#scrapeErrors = new Counter({ name: 'lifeboat_metrics_collect_errors_total', help: 'Scrapes whose database-backed gauges could not be read', registers })
    // Each gauge reads the database when scraped; a failed read is logged and counted, never a failed scrape.
    const collectSafely = async (what: string, collect: () => Promise<void>) => {
      try {
        await collect()
      } catch (error) {
        this.#scrapeErrors.inc()
        log.warn({ err: error }, `reading ${what} for /metrics failed`)
      }
    }
    new Gauge({
      name: 'lifeboat_servers', help: 'Servers (not deleted) by vm_state', labelNames: ['state'], registers,
      async collect() {
        await collectSafely('servers', async () => {
          const rows = await db.selectFrom('instances').select(['vm_state', db.fn.countAll<number>().as('count')]).where('deleted', '=', 0).groupBy('vm_state').execute()
          this.reset()
          for (const row of rows) this.set({ state: row.vm_state }, Number(row.count))
        })
      },
    })
    new Gauge({
      name: 'lifeboat_compute_agents', help: 'Compute agents by state: up (heart-beat recently) or down', labelNames: ['state'], registers,
      async collect() {
        await collectSafely('compute agents', async () => {
          const rows = await db.selectFrom('compute_services').select(['forced_down', 'last_seen_at']).execute()
          const now = Date.now()
          const up = rows.filter((row) => serviceIsUp(row, now, serviceDownSeconds)).length
          this.set({ state: 'up' }, up)
          this.set({ state: 'down' }, rows.length - up)
        })
      },
    })
    new Gauge({
      name: 'lifeboat_tasks', help: 'Compute tasks in the queue by kind and status (queued, leased; finished ones until purged)', labelNames: ['kind', 'status'], registers,
      async collect() {
        await collectSafely('tasks', async () => {
          const rows = await db.selectFrom('tasks').select(['kind', 'status', db.fn.countAll<number>().as('count')]).groupBy(['kind', 'status']).execute()
          this.reset()
          for (const row of rows) this.set({ kind: row.kind, status: row.status }, Number(row.count))
        })
      },
    })
  }

  /** Counts one finished API request. */
  observeRequest(labels: { service: string; route: string; method: string; statusCode: number }, seconds: number): void {
    this.#requests.observe({ service: labels.service, route: labels.route, method: labels.method, status_class: `${Math.floor(labels.statusCode / 100)}xx` }, seconds)
  }

  /** Counts one finished task. */
  observeTask(kind: string, outcome: 'done' | 'failed', seconds: number): void {
    this.#tasks.observe({ kind, outcome }, Math.max(0, seconds))
  }

  /** True when `token` is the operator's metrics token (compared in constant time). */
  isOperatorToken(token: string): boolean {
    return this.#operatorToken !== null && timingSafeEqual(digest(token), this.#operatorToken)
  }

  /** The exposition: its content type and text. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    // The process metrics (CPU, memory, event loop lag) from the first scrape on: nothing is set up for a cloud no one scrapes.
    if (!this.#defaultsCollected) {
      collectDefaultMetrics({ register: this.#registry })
      this.#defaultsCollected = true
    }
    return { contentType: this.#registry.contentType, body: await this.#registry.metrics() }
  }
}
