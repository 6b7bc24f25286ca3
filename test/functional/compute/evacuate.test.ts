import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../../src/config.js'
import { startLifeboat, type RunningLifeboat } from '../../../src/server.js'
import { startComputeAgent, type ComputeAgent } from '../../../src/agent/compute-agent.js'
import { FakeDriver } from '../../../src/virt/fake/fake-driver.js'
import { DIALECTS, login, ADMIN_PASSWORD, type Session } from '../../helpers/cloud.js'
import { createTestDatabase, POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { createImage, waitForStatus } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'

const C = '/compute/v2.1'
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

/**
 * Evacuate across two fake-driver agents (ev-a, ev-b), in order: a server on
 * ev-a, refused while ev-a is up, evacuated once ev-a is stopped and forced
 * down, and ev-a's agent destroying the evacuated guest when it comes back.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: evacuate (Nova os-evacuate) across two agents`, { skip }, () => {
    let running: RunningLifeboat
    let admin: Session
    let dataDir: string
    let dropDatabase: (() => Promise<void>) | undefined
    const drivers = new Map<string, FakeDriver>()
    const agents = new Map<string, ComputeAgent>()
    let serverId: string
    const request = (method: string, p: string, body?: unknown, microversion?: string) => admin.request(method, `${C}${p}`, { body, microversion })
    const startAgent = async (host: string) => {
      const credential = await running.services.agents.issueCredential(host)
      agents.set(host, await startComputeAgent({ controlUrl: running.url, host, credential, driver: drivers.get(host)!, stateDir: path.join(dataDir, host), log: quiet }))
    }

    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-evacuate-'))
      const database = dialect === 'postgres' ? await createTestDatabase() : null
      dropDatabase = database ? () => database.drop() : undefined
      running = await startLifeboat(loadConfig({ port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent' }), {
        logger: false, embeddedAgent: false, bootstrapPasswords: { admin: ADMIN_PASSWORD },
      })
      for (const host of ['ev-a', 'ev-b']) {
        drivers.set(host, new FakeDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 4, memoryMb: 4096, diskGb: 40 }))
        await startAgent(host)
      }
      admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
      const imageId = await createImage(admin)
      const res = await request('POST', '/servers', { server: { name: 'ev', imageRef: imageId, flavorRef: '1', networks: 'none', availability_zone: 'nova:ev-a' } }, '2.37')
      assert.equal(res.status, 202, res.text)
      serverId = res.body.server.id
      await waitForStatus(admin, serverId, 'ACTIVE')
    })
    after(async () => {
      for (const agent of agents.values()) await agent.stop().catch(() => undefined)
      await running?.close()
      await dropDatabase?.().catch(() => undefined)
      fs.rmSync(dataDir, { recursive: true, force: true })
    })

    test('refused with Nova\'s words: the source host still up, the same host, an unknown host, the body per microversion', async () => {
      const up = await request('POST', `/servers/${serverId}/action`, { evacuate: { onSharedStorage: false } })
      assert.equal(up.status, 400, up.text)
      assert.equal(up.body.badRequest.message, 'Compute service of ev-a is still in use.')
      const same = await request('POST', `/servers/${serverId}/action`, { evacuate: { host: 'ev-a' } }, '2.14')
      assert.equal(same.body.badRequest.message, "The target host can't be the same one.")
      const unknown = await request('POST', `/servers/${serverId}/action`, { evacuate: { host: 'nowhere' } }, '2.14')
      assert.equal(unknown.status, 404)
      assert.equal(unknown.body.itemNotFound.message, 'Compute host nowhere not found.')
      const required = await request('POST', `/servers/${serverId}/action`, { evacuate: {} })
      assert.equal(required.status, 400)
      assert.match(required.body.badRequest.message, /'onSharedStorage' is a required property/)
      const dropped = await request('POST', `/servers/${serverId}/action`, { evacuate: { onSharedStorage: false } }, '2.14')
      assert.match(dropped.body.badRequest.message, /'onSharedStorage' was unexpected/)
      const noForce = await request('POST', `/servers/${serverId}/action`, { evacuate: { force: true } }, '2.68')
      assert.match(noForce.body.badRequest.message, /'force' was unexpected/)
      const server = (await request('GET', `/servers/${serverId}`)).body.server
      assert.equal(server.status, 'ACTIVE')
    })

    test('ev-a stopped and forced down: evacuated to ev-b (adminPass before 2.14), rebuilt ACTIVE there; migration `evacuation` done; allocation on ev-b only', async () => {
      await agents.get('ev-a')!.stop()
      agents.delete('ev-a')
      const services = (await request('GET', '/os-services?host=ev-a', undefined, '2.53')).body.services
      const forced = await request('PUT', `/os-services/${services[0].id}`, { forced_down: true }, '2.53')
      assert.equal(forced.status, 200, forced.text)
      const res = await request('POST', `/servers/${serverId}/action`, { evacuate: { onSharedStorage: 'False' } })
      assert.equal(res.status, 200, res.text)
      assert.equal(typeof res.body.adminPass, 'string')
      await waitUntil(async () => {
        const server = (await request('GET', `/servers/${serverId}`)).body.server
        return server.status === 'ACTIVE' && server['OS-EXT-SRV-ATTR:host'] === 'ev-b'
      }, { timeoutMs: 15_000, intervalMs: 50, what: 'the server ACTIVE on ev-b' })
      assert.ok(await drivers.get('ev-b')!.getDomain(serverId))
      const migrations = (await request('GET', `/os-migrations?instance_uuid=${serverId}`, undefined, '2.23')).body.migrations
      assert.deepEqual(migrations.map((m: { migration_type: string; status: string; source_compute: string; dest_compute: string }) => [m.migration_type, m.status, m.source_compute, m.dest_compute]), [['evacuation', 'done', 'ev-a', 'ev-b']])
      const allocations = (await admin.request('GET', `/placement/allocations/${serverId}`)).body.allocations as Record<string, unknown>
      const b = await running.database.db.selectFrom('compute_services').select('id').where('host', '=', 'ev-b').executeTakeFirstOrThrow()
      assert.deepEqual(Object.keys(allocations), [b.id])
      const actions = (await request('GET', `/servers/${serverId}/os-instance-actions`)).body.instanceActions
      assert.equal(actions[0].action, 'evacuate')
    })

    test('ev-a comes back: its agent destroys the evacuated guest instead of keeping it; the migration is completed', async () => {
      assert.ok(await drivers.get('ev-a')!.getDomain(serverId), 'the dead host still had the guest')
      await startAgent('ev-a')
      assert.equal(await drivers.get('ev-a')!.getDomain(serverId), null)
      const [row] = await running.database.db.selectFrom('migrations').select('status').where('instance_uuid', '=', serverId).execute()
      assert.equal(row!.status, 'completed')
      const server = (await request('GET', `/servers/${serverId}`)).body.server
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'ev-b')
      assert.equal(server.status, 'ACTIVE')
    })

    test('no other host: the evacuation ends in error, the server keeps its state on its host', async () => {
      // ev-b is the server's host now; ev-a is forced down but the scheduler only skips disabled hosts: disable it.
      const services = (await request('GET', '/os-services?host=ev-a', undefined, '2.53')).body.services
      await request('PUT', `/os-services/${services[0].id}`, { status: 'disabled' }, '2.53')
      await agents.get('ev-b')!.stop()
      agents.delete('ev-b')
      const b = (await request('GET', '/os-services?host=ev-b', undefined, '2.53')).body.services
      await request('PUT', `/os-services/${b[0].id}`, { forced_down: true }, '2.53')
      const res = await request('POST', `/servers/${serverId}/action`, { evacuate: {} }, '2.14')
      assert.equal(res.status, 200, res.text)
      assert.equal(res.text, '')
      await waitUntil(async () => (await running.database.db.selectFrom('migrations').select('status').where('instance_uuid', '=', serverId).where('status', '=', 'error').execute()).length === 1, { timeoutMs: 10_000, intervalMs: 50, what: 'the evacuation in error' })
      await waitUntil(async () => (await request('GET', `/servers/${serverId}`)).body.server['OS-EXT-STS:task_state'] === null, { timeoutMs: 10_000, intervalMs: 50, what: 'no task state' })
      const server = (await request('GET', `/servers/${serverId}`)).body.server
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'ev-b')
      assert.equal(server.status, 'ACTIVE')
    })
  })
}
