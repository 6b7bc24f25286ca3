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

/** A control plane without an embedded agent and one fake-driver agent per host name, each its own process-local agent. */
export interface MultiAgentCloud {
  running: RunningLifeboat
  admin: Session
  /** Host name → its compute service id (= its resource provider uuid). */
  providers: Map<string, string>
  /** Host name → its fake driver (to look at the domains a host holds). */
  drivers: Map<string, FakeDriver>
  close(): Promise<void>
}

/** Starts the control plane on `dialect` and registers `hosts` (each 4 VCPU, 4096 MB, 40 GB unless told); `failOperations` by host: fake driver steps that fail there. */
export async function startMultiAgentCloud(dialect: DialectName, hosts: string[], size = { vcpus: 4, memoryMb: 4096, diskGb: 40 }, failOperations: Record<string, string[]> = {}): Promise<MultiAgentCloud> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-hosts-'))
  const database = dialect === 'postgres' ? await createTestDatabase() : null
  const running = await startLifeboat(loadConfig({ port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent' }), {
    logger: false, embeddedAgent: false, bootstrapPasswords: { admin: ADMIN_PASSWORD },
  })
  const agents: ComputeAgent[] = []
  const providers = new Map<string, string>()
  const drivers = new Map<string, FakeDriver>()
  for (const host of hosts) {
    const credential = await running.services.agents.issueCredential(host)
    const driver = new FakeDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', ...size, failOperations: failOperations[host] ?? [] })
    drivers.set(host, driver)
    agents.push(await startComputeAgent({ controlUrl: running.url, host, credential, driver, stateDir: path.join(dataDir, host), log: quiet }))
    const row = await running.database.db.selectFrom('compute_services').select('id').where('host', '=', host).executeTakeFirstOrThrow()
    providers.set(host, row.id)
  }
  const admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
  return {
    running, admin, providers, drivers,
    async close() {
      for (const agent of agents) await agent.stop()
      await running.close()
      await database?.drop().catch(() => undefined)
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
