import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import YAML from 'yaml'
import { login, DIALECTS } from '../../helpers/cloud.js'
import { createTestDatabase, POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { action, createImage, waitForStatus } from '../../helpers/compute.js'

const root = path.resolve(import.meta.dirname, '../../..')

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts `lifeboat` as its own process and waits until it answers. */
async function startProcess(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(root, 'bin/lifeboat.mjs')], { env: { ...process.env, ...env, LIFEBOAT_PORT: String(port), LIFEBOAT_LOG_LEVEL: 'warn', LIFEBOAT_DRIVER: 'fake' }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.resume()
  child.stderr!.resume()
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`lifeboat exited with ${child.exitCode}`)
    const ok = await fetch(`http://127.0.0.1:${port}/compute/v2.1`).then((r) => r.ok).catch(() => false)
    if (ok) return child
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('lifeboat did not start')
}

for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: a restart in the middle of a task`, { skip }, () => {
    test('a task leased by a killed process completes after restart; the server is not left with a task_state', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-restart-'))
      const database = dialect === 'postgres' ? await createTestDatabase() : null
      const port = await freePort()
      const env: Record<string, string> = { LIFEBOAT_DATA_DIR: dataDir, ...(database ? { LIFEBOAT_DATABASE_URL: database.url } : {}) }
      let child = await startProcess(env, port)
      try {
        const clouds = YAML.parse(fs.readFileSync(path.join(dataDir, 'clouds.yaml'), 'utf8'))
        const base = `http://127.0.0.1:${port}`
        const admin = await login(base, 'admin', clouds.clouds['lifeboat-admin'].auth.password, 'admin')
        const imageId = await createImage(admin)
        const created = await admin.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'survivor', imageRef: imageId, flavorRef: '1' } } })
        assert.equal(created.status, 202, created.text)
        await waitForStatus(admin, created.body.server.id, 'ACTIVE')
        child.kill('SIGKILL')
        await new Promise((resolve) => child.once('exit', resolve))
        // Now a slow driver: the stop task will be leased and the process killed mid-task.
        child = await startProcess({ ...env, LIFEBOAT_FAKE_DELAY_MS: '3000' }, port)
        assert.equal((await action(admin, created.body.server.id, { 'os-stop': null })).status, 202)
        await new Promise((resolve) => setTimeout(resolve, 500))
        const during = await admin.request('GET', `/compute/v2.1/servers/${created.body.server.id}`)
        assert.equal(during.body.server['OS-EXT-STS:task_state'], 'powering-off')
        child.kill('SIGKILL')
        await new Promise((resolve) => child.once('exit', resolve))
        child = await startProcess(env, port)
        const after = await waitForStatus(admin, created.body.server.id, 'SHUTOFF', { timeoutMs: 15_000 })
        assert.equal(after['OS-EXT-STS:task_state'], null)
        assert.equal(after['OS-EXT-STS:power_state'], 4)
      } finally {
        child.kill('SIGKILL')
        await database?.drop().catch(() => undefined)
        fs.rmSync(dataDir, { recursive: true, force: true })
      }
    })
  })
}
