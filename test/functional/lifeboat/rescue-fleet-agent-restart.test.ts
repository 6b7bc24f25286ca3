import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { loadConfig } from '../../../src/config.js'
import { startLifeboat } from '../../../src/server.js'
import { startComputeAgent, type ComputeAgent } from '../../../src/agent/compute-agent.js'
import { FakeDriver } from '../../../src/virt/fake/fake-driver.js'
import { ADMIN_PASSWORD, DEMO_PASSWORD, DIALECTS, login } from '../../helpers/cloud.js'
import { createTestDatabase, POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { createImage, waitForStatus } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'
import { actionsOf, bootFleet, createFleet, waitForFleet } from './rescue-fleet-helpers.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const HOST = 'fleet-host'

/**
 * The other restart the issue names: the compute agent (not the control
 * plane) stops while a fleet run has servers in flight, and a new agent
 * session takes the host over (its fake domains kept in a state file, as a
 * real host keeps its guests). The rescue tasks leased by the old session are
 * handed to the new one, which finds each rescue already booted and waits for
 * the same run's result: every server is rescued once, run once, unrescued
 * once, and none is lost.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: rescue runs: the agent restarted mid-run`, { skip }, () => {
    test('a new agent session takes over the servers in flight; no server lost, none rescued twice', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-run-agent-restart-'))
      const database = dialect === 'postgres' ? await createTestDatabase() : null
      const config = loadConfig({ host: '127.0.0.1', port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent' }, {})
      const running = await startLifeboat(config, { logger: false, embeddedAgent: false, bootstrapPasswords: { admin: ADMIN_PASSWORD, demo: DEMO_PASSWORD } })
      const stateFile = path.join(dataDir, HOST, 'fake-state.json')
      const startAgent = async () => startComputeAgent({
        controlUrl: running.url, host: HOST, credential: await running.services.agents.issueCredential(HOST), stateDir: path.join(dataDir, HOST), log: quiet,
        driver: new FakeDriver({ stateFile, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 16, memoryMb: 65536, diskGb: 400, failOperations: [] }),
      })
      let agent: ComputeAgent | null = await startAgent()
      try {
        const demo = await login(running.url, 'demo', DEMO_PASSWORD, 'demo')
        const admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
        const imageId = await createImage(admin)
        const ids = await bootFleet(demo, imageId, 'agent-restart', 4)
        for (const id of ids) await waitForStatus(demo, id, 'ACTIVE')
        const run = await createFleet(demo, { script: '# fake-sleep: 1.5\n', servers: { name: '^agent-restart-' }, max_in_flight: 2, canary: 0, unrescue: 'always' })
        const db = running.database.db
        await waitUntil(async () => (await db.selectFrom('server_runs').select('id').where('fleet_id', '=', run.id).where('state', '=', 'running').execute()).length > 0 || undefined,
          { timeoutMs: 10_000, intervalMs: 20, what: 'a server whose script runs' })
        // The old session's in-flight tasks settle or are left leased; the new session takes the host and its leases over.
        await agent.stop()
        agent = null
        agent = await startAgent()
        const done = await waitForFleet(demo, run.id, 60_000)
        assert.equal(done.state, 'succeeded', JSON.stringify(done.servers.map((s: any) => [s.state, s.reason])))
        assert.equal(done.counts.succeeded, 4)
        assert.deepEqual(done.servers.map((s: any) => s.server_id), ids)
        for (const id of ids) {
          assert.equal((await waitForStatus(demo, id, 'ACTIVE')).status, 'ACTIVE')
          const actions = await actionsOf(demo, id)
          assert.equal(actions.filter((a) => a === 'rescue').length, 1, `${id}: ${actions.join(',')}`)
          assert.equal(actions.filter((a) => a === 'unrescue').length, 1, `${id}: ${actions.join(',')}`)
        }
      } finally {
        await agent?.stop().catch(() => undefined)
        await running.close().catch(() => undefined)
        await database?.drop().catch(() => undefined)
        fs.rmSync(dataDir, { recursive: true, force: true })
      }
    })
  })
}
