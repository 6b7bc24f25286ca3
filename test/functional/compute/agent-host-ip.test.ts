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

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const C = '/compute/v2.1'

/**
 * Each agent tells the control plane its host address (Nova's `my_ip`),
 * shown as os-hypervisors `host_ip`: the one it names, else the address its
 * register came from (loopback: the control plane's own).
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: an agent's host address`, { skip }, () => {
    let dataDir: string
    let database: { url: string; drop(): Promise<void> } | null = null
    let running: RunningLifeboat
    let admin: Session
    const agents: ComputeAgent[] = []
    const credentials = new Map<string, string>()

    const startAgent = async (host: string, hostIp?: string) => {
      const driver = new FakeDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 4, memoryMb: 4096, diskGb: 40 })
      agents.push(await startComputeAgent({ controlUrl: running.url, host, credential: credentials.get(host)!, driver, hostIp, stateDir: path.join(dataDir, host), log: quiet }))
    }
    const hypervisor = async (host: string) => {
      const list = await admin.request('GET', `${C}/os-hypervisors/detail`, { microversion: '2.53' })
      assert.equal(list.status, 200, list.text)
      return list.body.hypervisors.find((h: any) => h.hypervisor_hostname === host)
    }

    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-host-ip-'))
      database = dialect === 'postgres' ? await createTestDatabase() : null
      running = await startLifeboat(loadConfig({ port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent' }), { logger: false, embeddedAgent: false, bootstrapPasswords: { admin: ADMIN_PASSWORD } })
      for (const host of ['named-ip', 'loopback']) credentials.set(host, await running.services.agents.issueCredential(host))
      admin = await login(running.url, 'admin', ADMIN_PASSWORD, 'admin')
    })
    after(async () => {
      for (const agent of agents) await agent.stop()
      await running.close()
      await database?.drop().catch(() => undefined)
      fs.rmSync(dataDir, { recursive: true, force: true })
    })

    test('a named host_ip is shown by os-hypervisors (list detail and show); a loopback agent shows the control plane\'s address', async () => {
      await startAgent('named-ip', '10.250.0.11')
      await startAgent('loopback')
      const named = await hypervisor('named-ip')
      assert.equal(named.host_ip, '10.250.0.11')
      const shown = await admin.request('GET', `${C}/os-hypervisors/${named.id}`, { microversion: '2.53' })
      assert.equal(shown.body.hypervisor.host_ip, '10.250.0.11')
      assert.equal((await hypervisor('loopback')).host_ip, '127.0.0.1')
    })

    test('a register naming something that is not an IP address is 400 and changes nothing', async () => {
      const post = (hostIp: string) => fetch(`${running.url}/agent/v1/register`, {
        method: 'POST',
        body: JSON.stringify({ session: 'other-session', driver: 'fake', hostInfo: { hypervisorType: 'fake', hypervisorVersion: 1, acceleration: 'none', vcpus: 1, memoryMb: 512, diskGb: 1, cpuInfo: {} }, traits: [], domains: [], hostIp }),
        headers: { 'content-type': 'application/json', 'x-lifeboat-agent-host': 'named-ip', 'x-lifeboat-agent-credential': credentials.get('named-ip')! },
      })
      const before = await running.database.db.selectFrom('compute_services').selectAll().where('host', '=', 'named-ip').executeTakeFirstOrThrow()
      for (const bad of ['999.1.1.1', '0.0.0.0', 'host.example', '']) {
        const res = await post(bad)
        assert.equal(res.status, 400, `${bad}: ${await res.text()}`)
      }
      const after = await running.database.db.selectFrom('compute_services').selectAll().where('host', '=', 'named-ip').executeTakeFirstOrThrow()
      assert.deepEqual(after, before)
    })
  })
}
