import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { loadConfig } from '../../../src/config.js'
import { startLifeboat } from '../../../src/server.js'
import { startComputeAgent } from '../../../src/agent/compute-agent.js'
import { FakeDriver } from '../../../src/virt/fake/fake-driver.js'
import { login, ADMIN_PASSWORD } from '../../helpers/cloud.js'
import { bootServer, createImage } from '../../helpers/compute.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

test('a control plane without an embedded agent schedules to a separately started agent, which needs its credential', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-control-'))
  const running = await startLifeboat(loadConfig({ port: 0, consolePort: 0, dataDir, logLevel: 'silent' }), { logger: false, embeddedAgent: false, bootstrapPasswords: { admin: ADMIN_PASSWORD } })
  const driver = new FakeDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 4, memoryMb: 4096, diskGb: 40 })
  try {
    await assert.rejects(startComputeAgent({ controlUrl: running.url, host: 'far-host', credential: 'guess', driver, stateDir: path.join(dataDir, 'far'), log: quiet }), /401/)
    const credential = await running.services.agents.issueCredential('far-host')
    const row = await running.database.db.selectFrom('compute_services').select('credential_hash').where('host', '=', 'far-host').executeTakeFirstOrThrow()
    assert.notEqual(row.credential_hash, credential, 'only a hash of the credential is stored')
    const agent = await startComputeAgent({ controlUrl: running.url, host: 'far-host', credential, driver, stateDir: path.join(dataDir, 'far'), log: quiet })
    try {
      const admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
      const server = await bootServer(admin, { imageRef: await createImage(admin) })
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'far-host')
      assert.equal((await driver.getDomain(server.id))?.powerState, 1)
      const post = (taskId: string, body: unknown) => fetch(`${running.url}/agent/v1/tasks/${taskId}/events`, {
        method: 'POST', body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', 'x-lifeboat-agent-host': 'far-host', 'x-lifeboat-agent-credential': credential },
      })
      const malformed = await post('any', { session: agent.session, events: [{ event: 'x', phase: 'halfway', at: 'now' }] })
      assert.equal(malformed.status, 400, 'an event batch is validated')
      const unknown = await post('no-such-task', { session: agent.session, events: [{ event: 'x', phase: 'start', at: new Date().toISOString() }] })
      assert.equal(unknown.status, 404)
    } finally {
      await agent.stop()
    }
  } finally {
    await running.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})
