import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../../../src/config.js'
import { startLifeboat, type RunningLifeboat } from '../../../src/server.js'
import { startComputeAgent, type ComputeAgent } from '../../../src/agent/compute-agent.js'
import { FakeDriver } from '../../../src/virt/fake/fake-driver.js'
import { login, ADMIN_PASSWORD, type Session } from '../../helpers/cloud.js'
import { createTestDatabase } from '../../helpers/postgres.js'
import type { DialectName } from '../../../src/db/database.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

/** Holds a fake driver's operation until the test lets it go; `reached` resolves once the operation waits. */
export class Gate {
  #open!: () => void
  #reached!: () => void
  readonly opened = new Promise<void>((resolve) => { this.#open = resolve })
  readonly reached = new Promise<void>((resolve) => { this.#reached = resolve })
  /** What the driver awaits. */
  readonly wait = async (): Promise<void> => {
    this.#reached()
    await this.opened
  }
  open(): void { this.#open() }
}

/**
 * A control plane (no embedded agent) and a fake-driver agent per host, whose
 * drivers and agents the test reaches: it can stop an agent, hold a driver's
 * operation (`gates`, set before the operation runs) and restart the control
 * plane on the same port, database and data folder.
 */
export class RestartableCloud {
  running!: RunningLifeboat
  admin!: Session
  readonly drivers = new Map<string, FakeDriver>()
  readonly agents = new Map<string, ComputeAgent>()
  /** Operation name → gate, per host (read by the drivers at each operation). */
  readonly gates = new Map<string, Record<string, () => Promise<void>>>()
  #port = 0
  #dataDir = ''
  #databaseUrl: string | undefined
  #drop: (() => Promise<void>) | undefined

  /** Starts the control plane on `dialect` and an agent per host. */
  static async start(dialect: DialectName, hosts: string[], options: { leaseSeconds?: number } = {}): Promise<RestartableCloud> {
    const cloud = new RestartableCloud()
    cloud.#dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-restartable-'))
    const database = dialect === 'postgres' ? await createTestDatabase() : null
    cloud.#databaseUrl = database?.url
    cloud.#drop = database ? () => database.drop() : undefined
    cloud.#leaseSeconds = options.leaseSeconds
    await cloud.#startControl()
    for (const host of hosts) {
      const gates: Record<string, () => Promise<void>> = {}
      cloud.gates.set(host, gates)
      cloud.drivers.set(host, new FakeDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 4, memoryMb: 4096, diskGb: 40, gates }))
      await cloud.startAgent(host)
    }
    cloud.admin = await login(cloud.running.url, 'admin', ADMIN_PASSWORD, 'admin')
    return cloud
  }

  #leaseSeconds: number | undefined

  async #startControl(): Promise<void> {
    this.running = await startLifeboat(loadConfig({
      port: this.#port, consolePort: 0, dataDir: this.#dataDir, databaseUrl: this.#databaseUrl, logLevel: 'silent',
      ...(this.#leaseSeconds ? { agent: { leaseSeconds: this.#leaseSeconds } } : {}),
    }), { logger: false, embeddedAgent: false, bootstrapPasswords: { admin: ADMIN_PASSWORD } })
    this.#port = Number(new URL(this.running.url).port)
  }

  /** Starts (again) the agent of `host` with its driver. */
  async startAgent(host: string): Promise<void> {
    const credential = await this.running.services.agents.issueCredential(host)
    this.agents.set(host, await startComputeAgent({ controlUrl: this.running.url, host, credential, driver: this.drivers.get(host)!, stateDir: path.join(this.#dataDir, host), log: quiet }))
  }

  /** The control plane stops (its in-flight requests end) and starts again on the same port and database; agents reconnect on their own. */
  async restartControlPlane(downMs = 300): Promise<void> {
    await this.running.close()
    await new Promise((resolve) => setTimeout(resolve, downMs))
    await this.#startControl()
  }

  async close(): Promise<void> {
    for (const gates of this.gates.values()) for (const key of Object.keys(gates)) delete gates[key]
    for (const agent of this.agents.values()) await agent.stop().catch(() => undefined)
    await this.running?.close()
    await this.#drop?.().catch(() => undefined)
    fs.rmSync(this.#dataDir, { recursive: true, force: true })
  }
}
