import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig, type ConfigInput } from '../../src/config.js'
import { startLifeboat, type RunningLifeboat } from '../../src/server.js'
import { keystoneLogin } from '../../src/util/keystone-login.js'
import { BenchClient } from './http.js'

const ADMIN_PASSWORD = 'bench-admin-pw'
const DEMO_PASSWORD = 'bench-demo-pw'

/** A Lifeboat started in this process for a bench, with logged-in clients. */
export interface BenchCloud {
  running: RunningLifeboat
  dataDir: string
  admin: BenchClient
  demo: BenchClient
  /** Stops Lifeboat, runs `beforeRemove` (if any), then removes the data dir. */
  close(beforeRemove?: () => Promise<void>): Promise<void>
}

async function login(url: string, user: string, password: string): Promise<string> {
  return (await keystoneLogin(`${url}/identity`, { userName: user, password, projectName: user })).token
}

/**
 * Starts Lifeboat on a loopback ephemeral port over a fresh SQLite data dir,
 * fake driver with zero delay unless `overrides` say otherwise. The host is
 * sized so that placement never runs out during a bench.
 */
export async function startBenchCloud(overrides: ConfigInput = {}, options: { embeddedAgent?: boolean } = {}): Promise<BenchCloud> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-'))
  const config = loadConfig(
    {
      host: '127.0.0.1', port: 0, consolePort: 0, dataDir, logLevel: 'silent',
      agent: { driver: 'fake', fakeDelayMs: 0, vcpus: 4096, memoryMb: 4 * 1024 * 1024, diskGb: 1_000_000 },
    },
    overrides,
  )
  const running = await startLifeboat(config, { logger: false, embeddedAgent: options.embeddedAgent, bootstrapPasswords: { admin: ADMIN_PASSWORD, demo: DEMO_PASSWORD } })
  const anonymous = new BenchClient(running.url)
  const admin = anonymous.withToken(await login(running.url, 'admin', ADMIN_PASSWORD))
  const demo = anonymous.withToken(await login(running.url, 'demo', DEMO_PASSWORD))
  // The benches keep hundreds of servers and volumes in the demo project: lift its quotas (Nova's and Cinder's defaults are 10).
  const projectId = async (name: string) => (await admin.expect(200, 'GET', `/identity/v3/projects?name=${name}`)).body.projects[0].id as string
  const [demoProject, adminProject] = [await projectId('demo'), await projectId('admin')]
  await admin.expect(200, 'PUT', `/compute/v2.1/os-quota-sets/${demoProject}`, { body: { quota_set: { instances: -1, cores: -1, ram: -1 } } })
  await admin.expect(200, 'PUT', `/volume/v3/${adminProject}/os-quota-sets/${demoProject}`, { body: { quota_set: { volumes: -1, snapshots: -1, gigabytes: -1 } } })
  return {
    running, dataDir, admin, demo,
    async close(beforeRemove) {
      await running.close()
      anonymous.close()
      await beforeRemove?.()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Creates a public raw image and uploads `bytes` of zeros; returns its id. */
export async function uploadRawImage(admin: BenchClient, name: string, properties: Record<string, string> = {}, bytes = 64 * 1024): Promise<string> {
  const created = await admin.expect(201, 'POST', '/image/v2/images', {
    body: { name, disk_format: 'raw', container_format: 'bare', visibility: 'public', ...properties },
  })
  await admin.expect(204, 'PUT', `/image/v2/images/${created.body.id}/file`, { rawBody: new Uint8Array(bytes) })
  return created.body.id as string
}
