import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { VirtDriver } from '../virt/virt-driver.js'
import { capabilityTraits } from '../virt/virt-driver.js'
import { describeTlsFailure, type AgentTls } from '../util/tls.js'
import { AgentApiClient } from './agent-api-client.js'
import { startConsoleRelay } from './consoles/console-relay.js'
import { ImageFiles } from './image-files.js'
import { runTask } from './manager/compute-manager.js'
import type { ManagerContext } from './manager/manager-context.js'

/** Where an agent logs (a pino logger fits). */
export interface AgentLog {
  info(fields: Record<string, unknown>, message: string): void
  warn(fields: Record<string, unknown>, message: string): void
  error(fields: Record<string, unknown>, message: string): void
}

/** `log` with `bindings` on every line (pino's `child`, for any AgentLog). */
export function withBindings(log: AgentLog, bindings: Record<string, unknown>): AgentLog {
  const at = (level: keyof AgentLog) => (fields: Record<string, unknown>, message: string) => log[level]({ ...bindings, ...fields }, message)
  return { info: at('info'), warn: at('warn'), error: at('error') }
}

export interface ComputeAgentOptions {
  controlUrl: string
  host: string
  credential: string
  /** How to trust an `https` control plane (absent: the system's trust store). */
  tls?: AgentTls
  driver: VirtDriver
  /** The address other hosts reach this one at (`--host-ip`; absent: the control plane sees it). */
  hostIp?: string
  /** The agent's own folder (image cache, scratch space). */
  stateDir: string
  log: AgentLog
  heartbeatSeconds?: number
  /** Tasks run at once (for different instances). */
  concurrency?: number
}

/** A running agent. */
export interface ComputeAgent {
  readonly session: string
  stop(): Promise<void>
}

const LEASE_WAIT_MS = 20_000

/**
 * Starts a compute agent: registers the host (with its driver's traits and
 * the domains it found), heartbeats, and leases tasks in a long-poll loop;
 * beside it, the console relay long-polls for console viewers to dial back.
 * The embedded agent and remote agents run exactly this, over HTTP.
 */
export async function startComputeAgent(options: ComputeAgentOptions): Promise<ComputeAgent> {
  const { driver } = options
  const log = withBindings(options.log, { component: 'compute-agent' })
  const session = randomUUID()
  const api = new AgentApiClient(options.controlUrl, options.host, options.credential, options.tls)
  await driver.init()
  const hostInfo = await driver.hostInfo()
  const domains = (await driver.listDomains()).map((d) => ({ instanceId: d.instanceId, powerState: d.powerState, rescued: d.rescued }))
  const registered = await api.register({ host: options.host, session, driver: driver.name, hostInfo, traits: capabilityTraits(driver.capabilities), domains, ...(options.hostIp ? { hostIp: options.hostIp } : {}) }).catch((error: unknown) => {
    // A certificate the agent cannot verify (or TLS against plain HTTP) is the operator's to fix: say so in one line.
    const tlsProblem = describeTlsFailure(error, options.controlUrl, options.tls?.caHint)
    throw tlsProblem ? new Error(tlsProblem, { cause: error }) : error
  })
  log.info({ host: options.host, hostIp: options.hostIp, driver: driver.name, acceleration: hostInfo.acceleration }, `compute agent ${options.host} registered (driver ${driver.name}, acceleration ${hostInfo.acceleration})`)
  // Nova's `_destroy_evacuated_instances`: a server evacuated while this host was down lives elsewhere now; its guest here never runs again.
  for (const instanceId of registered.evacuated ?? []) {
    await driver.destroy(instanceId, { keepDisks: [] }).then(
      () => log.info({ server: instanceId }, `destroyed the guest of server ${instanceId}: it was evacuated to another host`),
      (error: unknown) => log.warn({ err: error, server: instanceId }, `the guest of evacuated server ${instanceId} could not be destroyed`),
    )
  }

  const abort = new AbortController()
  const ctx: ManagerContext = {
    api, driver, images: new ImageFiles(api, path.join(options.stateDir, 'image-cache')), session, workDir: path.join(options.stateDir, 'work'),
    host: options.host, log: withBindings(options.log, { component: 'compute-manager' }), stopping: abort.signal,
  }
  let stopped = false
  /** task id → its run: a task leased again while it runs (its lease expired while the control plane was away) runs once. */
  const inFlight = new Map<string, Promise<void>>()
  const concurrency = options.concurrency ?? 4

  // Heartbeats renew the leases: several per lease period, so one lost heartbeat never costs a lease.
  const heartbeatSeconds = Math.min(options.heartbeatSeconds ?? 10, Math.max(1, registered.leaseSeconds / 3))
  const heartbeat = setInterval(() => {
    void api.heartbeat(session).catch((error: unknown) => log.warn({ err: error }, 'heartbeat failed'))
  }, heartbeatSeconds * 1000)
  heartbeat.unref()

  // Consoles are a side channel, not tasks: a console opens while a rescue task runs.
  const consoles = startConsoleRelay({ api, driver, log: withBindings(options.log, { component: 'console-relay' }) })

  const loop = (async () => {
    while (!stopped) {
      try {
        if (inFlight.size >= concurrency) {
          await Promise.race(inFlight.values())
          continue
        }
        const tasks = await api.lease(session, concurrency - inFlight.size, LEASE_WAIT_MS, abort.signal)
        for (const task of tasks) {
          if (inFlight.has(task.id)) {
            log.warn({ task: task.id, server: task.instanceUuid }, `task ${task.task.kind} of server ${task.instanceUuid} was leased again while it runs here: the run under way reports it`)
            continue
          }
          const running = runTask(ctx, task).catch((error: unknown) => log.error({ err: error, task: task.id }, 'task report failed'))
          inFlight.set(task.id, running)
          void running.finally(() => inFlight.delete(task.id))
        }
      } catch (error) {
        if (stopped) break
        log.warn({ err: error }, 'lease failed; retrying')
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
  })()

  return {
    session,
    async stop() {
      stopped = true
      clearInterval(heartbeat)
      abort.abort()
      await loop.catch((error: unknown) => log.warn({ err: error }, 'the lease loop failed while stopping'))
      await consoles.stop()
      await Promise.allSettled(inFlight.values())
    },
  }
}
