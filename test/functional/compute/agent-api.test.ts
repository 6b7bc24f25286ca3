import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../../src/config.js'
import { startLifeboat, type RunningLifeboat } from '../../../src/server.js'
import { startComputeAgent, type ComputeAgent } from '../../../src/agent/compute-agent.js'
import { FakeDriver } from '../../../src/virt/fake/fake-driver.js'
import { login, ADMIN_PASSWORD, DIALECTS, type Session } from '../../helpers/cloud.js'
import { createTestDatabase, POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { action, bootServer, createImage, waitForStatus } from '../../helpers/compute.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const HOST = 'api-host'

/**
 * A control plane without an embedded agent, and an agent started (and
 * stopped) by the test: work can be queued while no agent leases it.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: the agent API`, { skip }, () => {
    let dataDir: string
    let database: { url: string; drop(): Promise<void> } | null = null
    let running: RunningLifeboat
    let credential: string
    let admin: Session
    let agent: ComputeAgent | null = null
    const driver = new FakeDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 4, memoryMb: 4096, diskGb: 40 })
    const startAgent = async () => {
      agent = await startComputeAgent({ controlUrl: running.url, host: HOST, credential, driver, stateDir: path.join(dataDir, 'far'), log: quiet })
    }
    const stopAgent = async () => {
      await agent?.stop()
      agent = null
    }
    const post = (urlPath: string, body: unknown) => fetch(`${running.url}/agent/v1${urlPath}`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'x-lifeboat-agent-host': HOST, 'x-lifeboat-agent-credential': credential },
    })
    const row = (id: string) => running.database.db.selectFrom('instances').selectAll().where('uuid', '=', id).executeTakeFirstOrThrow()

    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-agent-api-'))
      database = dialect === 'postgres' ? await createTestDatabase() : null
      running = await startLifeboat(loadConfig({ port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent' }), { logger: false, embeddedAgent: false, bootstrapPasswords: { admin: ADMIN_PASSWORD } })
      credential = await running.services.agents.issueCredential(HOST)
      admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
      await startAgent()
    })
    after(async () => {
      await stopAgent()
      await running.close()
      await database?.drop().catch(() => undefined)
      fs.rmSync(dataDir, { recursive: true, force: true })
    })

    test('malformed bodies are 400 in the agent error shape, and change nothing', async () => {
      const server = await bootServer(admin, { imageRef: await createImage(admin) })
      await stopAgent()
      // A task queued while no agent runs: its finish must not be taken from a malformed body.
      assert.equal((await action(admin, server.id, { 'os-stop': null })).status, 202)
      // The stopped agent's last long poll may still lease it (for a session that is gone, until the next register); let that settle.
      await new Promise((resolve) => setTimeout(resolve, 300))
      const task = await running.database.db.selectFrom('tasks').selectAll().where('instance_uuid', '=', server.id).where('kind', '=', 'power_off').executeTakeFirstOrThrow()
      const service = await running.database.db.selectFrom('compute_services').selectAll().where('host', '=', HOST).executeTakeFirstOrThrow()
      const before = await row(server.id)
      const session = service.agent_session!
      const malformed: Array<[string, unknown]> = [
        [`/tasks/${task.id}/finish`, { session, report: 'done' }],
        [`/tasks/${task.id}/finish`, { session, report: { ok: true, powerState: 'off' } }],
        [`/tasks/${task.id}/finish`, { report: { ok: true } }],
        [`/tasks/${task.id}/finish`, { session, report: { ok: true }, events: [{ event: 'x', phase: 'halfway', at: 'now' }] }],
        ['/register', { session: 'new-session', driver: 'fake', traits: [], domains: [] }],
        ['/register', { session: 'new-session', driver: 'fake', hostInfo: { hypervisorType: 'fake' }, traits: [], domains: [] }],
        ['/heartbeat', {}],
        ['/tasks/lease', { session, max: 0, waitMs: 0 }],
        [`/tasks/${task.id}/events`, { session, events: 'none' }],
        [`/instances/${server.id}/power-state`, { powerState: 'off' }],
      ]
      for (const [urlPath, body] of malformed) {
        const res = await post(urlPath, body)
        assert.equal(res.status, 400, `${urlPath} ${JSON.stringify(body)}`)
        const answer = await res.json() as { error: { code: number; title: string; message: string } }
        assert.equal(answer.error.code, 400)
        assert.equal(answer.error.title, 'Bad Request')
        assert.equal(typeof answer.error.message, 'string')
      }
      assert.deepEqual(await running.database.db.selectFrom('tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow(), task)
      assert.equal(task.result, null)
      assert.deepEqual(await row(server.id), before)
      assert.deepEqual(await running.database.db.selectFrom('compute_services').selectAll().where('host', '=', HOST).executeTakeFirstOrThrow(), service)
      const events = await running.database.db.selectFrom('instance_action_events').selectAll().where('event', '=', 'x').execute()
      assert.deepEqual(events, [])
      // Without credentials the body is not even looked at.
      const anonymous = await fetch(`${running.url}/agent/v1/register`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
      assert.equal(anonymous.status, 401)
      await startAgent()
      await waitForStatus(admin, server.id, 'SHUTOFF')
    })

    test('a rescue image deleted after the rescue was accepted fails the rescue back to the state before — never another image', async () => {
      const defaultless = await createImage(admin)
      const rescueImage = await createImage(admin, { name: 'rescue', properties: { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' } })
      const server = await bootServer(admin, { imageRef: defaultless })
      await stopAgent()
      const res = await action(admin, server.id, { rescue: { rescue_image_ref: rescueImage } })
      assert.equal(res.status, 200, res.text)
      const accepted = await row(server.id)
      assert.equal(accepted.task_state, 'rescuing')
      assert.deepEqual({ ...JSON.parse(accepted.rescue!), startedAt: null }, {
        previousVmState: 'active', imageId: rescueImage, mode: 'stable', startedAt: null, timeoutSeconds: null, rootSnapshot: true, keyName: null,
      }, 'the decision is recorded when the rescue is accepted')
      assert.equal((await admin.request('DELETE', `/image/v2/images/${rescueImage}`)).status, 204)
      await startAgent()
      const deadline = Date.now() + 10_000
      let current = await row(server.id)
      while (Date.now() < deadline && current.task_state !== null) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        current = await row(server.id)
      }
      assert.equal(current.vm_state, 'active')
      assert.equal(current.task_state, null)
      assert.equal(current.rescue, null)
      const domain = await driver.getDomain(server.id)
      assert.equal(domain?.rescued, false)
      assert.equal(domain?.powerState, 1, 'the guest was never shut down')
      const actions = await admin.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`)
      const rescue = actions.body.instanceActions[0]
      assert.equal(rescue.action, 'rescue')
      assert.equal(rescue.message, 'Error')
      const show = await admin.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${rescue.request_id}`, { microversion: '2.84' })
      const check = show.body.instanceAction.events.find((e: { event: string }) => e.event === 'lifeboat_rescue_choose_image')
      assert.equal(check.result, 'Error')
      assert.match(check.details, new RegExp(`rescue image ${rescueImage} is no longer available`))
      assert.equal(show.body.instanceAction.events.some((e: { event: string }) => e.event === 'lifeboat_rescue_boot'), false)
      const view = await admin.request('GET', `/compute/v2.1/servers/${server.id}`)
      assert.equal(view.body.server.status, 'ACTIVE')
    })
  })
}
