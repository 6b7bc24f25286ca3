import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../../src/config.js'
import { startLifeboat, type RunningLifeboat } from '../../../src/server.js'
import { startComputeAgent, type ComputeAgent } from '../../../src/agent/compute-agent.js'
import { FakeDriver, type FakeDriverOptions } from '../../../src/virt/fake/fake-driver.js'
import type { InstanceSpec } from '../../../src/virt/virt-driver.js'
import { login, ADMIN_PASSWORD, DIALECTS, type Session } from '../../helpers/cloud.js'
import { createTestDatabase, POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { action, bootServer, createImage, waitForStatus } from '../../helpers/compute.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const HOST = 'rebuild-host'

/** A fake hypervisor that notes the server's task_state as the control plane has it when each driver call starts. */
class ObservingDriver extends FakeDriver {
  readonly seen: string[] = []
  readonly kept: Array<readonly string[]> = []
  constructor(options: FakeDriverOptions, private readonly taskStateOf: (id: string) => Promise<string | null>) {
    super(options)
  }
  override async destroy(instanceId: string, options: { keepDisks?: readonly string[] } = {}): Promise<void> {
    this.seen.push(`destroy:${await this.taskStateOf(instanceId)}`)
    this.kept.push(options.keepDisks ?? [])
    await super.destroy(instanceId, options)
  }
  override async spawn(spec: InstanceSpec): Promise<void> {
    this.seen.push(`spawn:${await this.taskStateOf(spec.instanceId)}`)
    await super.spawn(spec)
  }
}

/**
 * Nova's `_rebuild_default_impl` saves task_state `rebuilding` →
 * `rebuild_block_device_mapping` → `rebuild_spawning`; the agent reports
 * each step before it goes on, so the driver's spawn starts under
 * `rebuild_spawning`. `preserve_ephemeral` keeps the ephemeral disk.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: rebuild steps and preserve_ephemeral`, { skip }, () => {
    let dataDir: string
    let database: { url: string; drop(): Promise<void> } | null = null
    let running: RunningLifeboat
    let credential: string
    let admin: Session
    let agent: ComputeAgent
    let driver: ObservingDriver
    let imageId: string
    let flavorId: string
    const row = (id: string) => running.database.db.selectFrom('instances').selectAll().where('uuid', '=', id).executeTakeFirstOrThrow()
    const post = (urlPath: string, body: unknown) => fetch(`${running.url}/agent/v1${urlPath}`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'x-lifeboat-agent-host': HOST, 'x-lifeboat-agent-credential': credential },
    })

    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-rebuild-steps-'))
      database = dialect === 'postgres' ? await createTestDatabase() : null
      running = await startLifeboat(loadConfig({ port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent' }), { logger: false, embeddedAgent: false, bootstrapPasswords: { admin: ADMIN_PASSWORD } })
      credential = await running.services.agents.issueCredential(HOST)
      admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
      driver = new ObservingDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 4, memoryMb: 4096, diskGb: 40 }, async (id) => (await row(id)).task_state)
      agent = await startComputeAgent({ controlUrl: running.url, host: HOST, credential, driver, stateDir: path.join(dataDir, 'agent'), log: quiet })
      imageId = await createImage(admin)
      const flavor = await admin.request('POST', '/compute/v2.1/flavors', { body: { flavor: { name: 'with-ephemeral', ram: 512, vcpus: 1, disk: 1, 'OS-FLV-EXT-DATA:ephemeral': 1 } } })
      assert.equal(flavor.status, 200, flavor.text)
      flavorId = flavor.body.flavor.id
    })
    after(async () => {
      await agent.stop()
      await running.close()
      await database?.drop().catch(() => undefined)
      fs.rmSync(dataDir, { recursive: true, force: true })
    })

    test('the old domain goes under `rebuilding`, the new one spawns under `rebuild_spawning`, then ACTIVE with no task_state', async () => {
      const server = await bootServer(admin, { imageRef: imageId })
      driver.seen.length = 0
      assert.equal((await action(admin, server.id, { rebuild: { imageRef: imageId } })).status, 202)
      await waitForStatus(admin, server.id, 'ACTIVE')
      assert.deepEqual(driver.seen, ['destroy:rebuilding', 'spawn:rebuild_spawning'])
      assert.equal((await row(server.id)).task_state, null)
    })

    test('preserve_ephemeral true keeps the ephemeral disk; false (or absent) recreates it', async () => {
      const server = await bootServer(admin, { imageRef: imageId, flavorRef: flavorId })
      driver.kept.length = 0
      assert.equal((await action(admin, server.id, { rebuild: { imageRef: imageId, preserve_ephemeral: true } })).status, 202)
      await waitForStatus(admin, server.id, 'ACTIVE')
      assert.equal((await action(admin, server.id, { rebuild: { imageRef: imageId, preserve_ephemeral: false } })).status, 202)
      await waitForStatus(admin, server.id, 'ACTIVE')
      assert.equal((await action(admin, server.id, { rebuild: { imageRef: imageId } })).status, 202)
      await waitForStatus(admin, server.id, 'ACTIVE')
      assert.deepEqual(driver.kept, [['ephemeral0'], [], []])
      const task = await running.database.db.selectFrom('tasks').select(['payload']).where('instance_uuid', '=', server.id).where('kind', '=', 'rebuild').orderBy('created_at').execute()
      assert.equal(JSON.parse(task[0]!.payload).preserveEphemeral, true)
    })

    test('a step report for another session, an unknown task or a malformed body changes nothing', async () => {
      const server = await bootServer(admin, { imageRef: imageId })
      const task = await running.database.db.selectFrom('tasks').select(['id']).where('instance_uuid', '=', server.id).executeTakeFirstOrThrow()
      const before = await row(server.id)
      assert.equal((await post(`/tasks/${task.id}/task-state`, { session: 'not-the-lease', taskState: 'rebuild_spawning' })).status, 204)
      assert.equal((await post('/tasks/no-such-task/task-state', { session: 'x', taskState: 'rebuild_spawning' })).status, 404)
      assert.equal((await post(`/tasks/${task.id}/task-state`, { session: 'x', taskState: 'active' })).status, 400)
      assert.equal((await post(`/tasks/${task.id}/task-state`, { taskState: 'rebuild_spawning' })).status, 400)
      const afterwards = await row(server.id)
      assert.equal(afterwards.task_state, before.task_state)
      assert.equal(afterwards.updated_at, before.updated_at)
    })
  })
}
