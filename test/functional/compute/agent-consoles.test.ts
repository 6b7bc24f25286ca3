import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ConsoleCloseCode } from '../../../src/agent-api/consoles.js'
import { loadConfig } from '../../../src/config.js'
import { startLifeboat, type RunningLifeboat } from '../../../src/server.js'
import { startComputeAgent, type ComputeAgent } from '../../../src/agent/compute-agent.js'
import { FakeDriver } from '../../../src/virt/fake/fake-driver.js'
import { login, ADMIN_PASSWORD, DIALECTS, type Session } from '../../helpers/cloud.js'
import { createTestDatabase, POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { action, bootServer, createImage, waitForStatus } from '../../helpers/compute.js'
import { startConsoleBroker } from '../../helpers/console-broker.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const HOST = 'console-host'

/**
 * The agent's console side with the fake driver: a real control plane runs
 * the servers; the broker of test/helpers stands in for the console proxy
 * (it passes every other agent call on to the control plane), so the agent
 * long-polls it for viewers and dials each one back.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: the agent's consoles (fake driver)`, { skip }, () => {
    let dataDir: string
    let database: { url: string; drop(): Promise<void> } | null = null
    let running: RunningLifeboat
    let broker: Awaited<ReturnType<typeof startConsoleBroker>>
    let admin: Session
    let agent: ComputeAgent
    let imageId: string
    const driver = new FakeDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 4, memoryMb: 4096, diskGb: 40 })

    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-agent-consoles-'))
      database = dialect === 'postgres' ? await createTestDatabase() : null
      running = await startLifeboat(loadConfig({ port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent' }), { logger: false, embeddedAgent: false, bootstrapPasswords: { admin: ADMIN_PASSWORD } })
      const credential = await running.services.agents.issueCredential(HOST)
      broker = await startConsoleBroker({ upstream: running.url })
      agent = await startComputeAgent({ controlUrl: broker.url, host: HOST, credential, driver, stateDir: path.join(dataDir, 'agent'), log: quiet })
      admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
      imageId = await createImage(admin)
    })
    after(async () => {
      await agent.stop()
      await broker.close()
      await running.close()
      await database?.drop().catch(() => undefined)
      fs.rmSync(dataDir, { recursive: true, force: true })
    })

    test('serial: the agent dials back with its credential; viewers share one echoing line, typed text reaches the console log, and a viewer attached before a rescue sees the rescue boot', async () => {
      const server = await bootServer(admin, { imageRef: imageId, name: 'console-1' })
      await waitForStatus(admin, server.id, 'ACTIVE')
      const first = await broker.request(server.id, 'serial')
      assert.equal(first.headers['x-lifeboat-agent-host'], HOST)
      assert.equal(typeof first.headers['x-lifeboat-agent-credential'], 'string')
      await first.waitFor(/\[fake\] booting console-1/)
      const second = await broker.request(server.id, 'serial')
      first.ws.send('echo hello\r') // a text frame, as Horizon's serial console sends
      second.ws.send(Buffer.from('whoami\r'), { binary: true })
      for (const viewer of [first, second]) {
        await viewer.waitFor(/echo hello\r\n/)
        await viewer.waitFor(/whoami\r\n/)
      }
      const log = await action(admin, server.id, { 'os-getConsoleOutput': {} })
      assert.match(log.body.output, /^echo hello$/m)
      assert.match(log.body.output, /^whoami$/m)

      assert.equal((await action(admin, server.id, { rescue: null })).status, 200)
      await waitForStatus(admin, server.id, 'RESCUE')
      await first.waitFor(/\[fake\] booting rescue image/)
      await second.waitFor(/\[fake\] booting rescue image/)
      first.ws.send('in rescue\r')
      await second.waitFor(/in rescue\r\n/)
      assert.equal((await action(admin, server.id, { unrescue: null })).status, 202)
      await waitForStatus(admin, server.id, 'ACTIVE')
      await first.waitFor(/booting rescue image[\s\S]*\[fake\] booting console-1/)
      second.ws.close()

      // Deleting the server closes its viewers: the instance is gone from this host.
      assert.equal((await admin.request('DELETE', `/compute/v2.1/servers/${server.id}`)).status, 204)
      assert.deepEqual(await first.closed, { code: ConsoleCloseCode.NO_INSTANCE, reason: 'instance not on this host' })
    })

    test('VNC: each viewer gets its own RFB server; a stopped guest or an unknown one is refused with its close code', async () => {
      const server = await bootServer(admin, { imageRef: imageId, name: 'console-2' })
      await waitForStatus(admin, server.id, 'ACTIVE')
      const vnc = await broker.request(server.id, 'vnc')
      await vnc.waitFor(/^RFB 003\.008\n/)
      vnc.ws.send(Buffer.from('RFB 003.008\n'))
      await vnc.waitFor(/^RFB 003\.008\n\x01\x01$/)
      vnc.ws.close()

      assert.equal((await action(admin, server.id, { 'os-stop': null })).status, 202)
      await waitForStatus(admin, server.id, 'SHUTOFF')
      for (const kind of ['serial', 'vnc'] as const) {
        const refused = await broker.request(server.id, kind)
        assert.deepEqual(await refused.closed, { code: ConsoleCloseCode.NOT_RUNNING, reason: 'instance not running' })
      }
      const unknown = await broker.request('00000000-0000-4000-8000-000000000000', 'serial')
      assert.deepEqual(await unknown.closed, { code: ConsoleCloseCode.NO_INSTANCE, reason: 'instance not on this host' })
    })

    test('a stopping agent closes the streams it holds', async () => {
      const server = await bootServer(admin, { imageRef: imageId, name: 'console-3' })
      await waitForStatus(admin, server.id, 'ACTIVE')
      const viewer = await broker.request(server.id, 'serial')
      await viewer.waitFor(/booting console-3/)
      await agent.stop()
      assert.equal((await viewer.closed).code, 1001)
      agent = await startComputeAgent({ controlUrl: broker.url, host: HOST, credential: await running.services.agents.issueCredential(HOST), driver, stateDir: path.join(dataDir, 'agent'), log: quiet })
      const again = await broker.request(server.id, 'serial')
      again.ws.send('back\r')
      await again.waitFor(/back\r\n/)
    })
  })
}
