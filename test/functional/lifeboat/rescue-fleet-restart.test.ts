import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { loadConfig } from '../../../src/config.js'
import { startLifeboat } from '../../../src/server.js'
import { ADMIN_PASSWORD, DEMO_PASSWORD, DIALECTS, login } from '../../helpers/cloud.js'
import { createTestDatabase, POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { createImage } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'
import { actionsOf, bootFleet, createFleet, waitForFleet } from './rescue-fleet-helpers.js'

for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: rescue runs: a restart mid-run`, { skip }, () => {
    test('the app closed and reopened on the same database loses and repeats no server', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-run-restart-'))
      const database = dialect === 'postgres' ? await createTestDatabase() : null
      const config = loadConfig({ host: '127.0.0.1', port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent', agent: { driver: 'fake' } }, {})
      const options = { logger: false as const, bootstrapPasswords: { admin: ADMIN_PASSWORD, demo: DEMO_PASSWORD } }
      let running = await startLifeboat(config, options)
      try {
        let demo = await login(running.url, 'demo', DEMO_PASSWORD, 'demo')
        const admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
        const imageId = await createImage(admin)
        const ids = await bootFleet(demo, imageId, 'restart', 4)
        const run = await createFleet(demo, { script: '# fake-sleep: 1.5\n', servers: { name: '^restart-' }, max_in_flight: 2, canary: 0, unrescue: 'always' })
        const db = running.database.db
        await waitUntil(async () => (await db.selectFrom('server_runs').select('id').where('fleet_id', '=', run.id).where('state', 'in', ['rescuing', 'running']).execute()).length > 0 || undefined,
          { timeoutMs: 5000, intervalMs: 20, what: 'a server in flight' })
        await new Promise((resolve) => setTimeout(resolve, 300))
        await running.close()
        running = await startLifeboat(config, options)
        demo = await login(running.url, 'demo', DEMO_PASSWORD, 'demo')
        const done = await waitForFleet(demo, run.id, 40_000)
        assert.equal(done.state, 'succeeded', JSON.stringify(done.servers.map((s: any) => [s.state, s.reason])))
        assert.equal(done.counts.succeeded, 4)
        const rows = await running.database.db.selectFrom('server_runs').select(['instance_uuid']).where('fleet_id', '=', run.id).execute()
        assert.deepEqual(rows.map((r) => r.instance_uuid).sort(), [...ids].sort())
        for (const id of ids) {
          const actions = await actionsOf(demo, id)
          assert.equal(actions.filter((a) => a === 'rescue').length, 1, `${id}: ${actions.join(',')}`)
          assert.equal(actions.filter((a) => a === 'unrescue').length, 1, `${id}: ${actions.join(',')}`)
        }
      } finally {
        await running.close().catch(() => undefined)
        await database?.drop().catch(() => undefined)
        fs.rmSync(dataDir, { recursive: true, force: true })
      }
    })

    test('a cancel just before the restart holds: the one in flight is put back once, the pending ones are never touched', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-run-restart-cancel-'))
      const database = dialect === 'postgres' ? await createTestDatabase() : null
      const config = loadConfig({ host: '127.0.0.1', port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent', agent: { driver: 'fake' } }, {})
      const options = { logger: false as const, bootstrapPasswords: { admin: ADMIN_PASSWORD, demo: DEMO_PASSWORD } }
      let running = await startLifeboat(config, options)
      try {
        let demo = await login(running.url, 'demo', DEMO_PASSWORD, 'demo')
        const admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
        const ids = await bootFleet(demo, await createImage(admin), 'cancel-restart', 3)
        const run = await createFleet(demo, { script: '# fake-sleep: 1.5\n', servers: { name: '^cancel-restart-' }, max_in_flight: 1, canary: 0, unrescue: 'never' })
        const db = running.database.db
        await waitUntil(async () => (await db.selectFrom('server_runs').select('id').where('fleet_id', '=', run.id).where('state', '=', 'running').execute()).length > 0 || undefined,
          { timeoutMs: 5000, intervalMs: 20, what: 'a server whose script runs' })
        assert.equal((await demo.request('POST', `/lifeboat/v1/rescue-runs/${run.id}/cancel`)).status, 202)
        await running.close()
        running = await startLifeboat(config, options)
        demo = await login(running.url, 'demo', DEMO_PASSWORD, 'demo')
        const done = await waitForFleet(demo, run.id, 40_000)
        assert.equal(done.state, 'cancelled')
        assert.deepEqual(done.servers.map((s: any) => s.state), ['succeeded', 'cancelled', 'cancelled'])
        // Unrescue "never", but a cancelled run puts the server in flight back — once.
        await waitUntil(async () => (await demo.request('GET', `/compute/v2.1/servers/${ids[0]}`)).body.server.status === 'ACTIVE' || undefined,
          { timeoutMs: 20_000, intervalMs: 50, what: 'the server in flight back to ACTIVE' })
        assert.deepEqual(await actionsOf(demo, ids[0]!), ['unrescue', 'rescue', 'create'])
        for (const id of ids.slice(1)) assert.deepEqual(await actionsOf(demo, id), ['create'])
      } finally {
        await running.close().catch(() => undefined)
        await database?.drop().catch(() => undefined)
        fs.rmSync(dataDir, { recursive: true, force: true })
      }
    })
  })
}
