import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import YAML from 'yaml'
import { login, DIALECTS } from '../../helpers/cloud.js'
import { createTestDatabase, POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { action, createImage, waitForStatus } from '../../helpers/compute.js'
import { freePort, killHard, startLifeboatProcess } from '../../helpers/lifeboat-process.js'

for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: a restart in the middle of a task`, { skip }, () => {
    test('a task leased by a killed process completes after restart; the server is not left with a task_state', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-restart-'))
      const database = dialect === 'postgres' ? await createTestDatabase() : null
      const port = await freePort()
      const env: Record<string, string> = { LIFEBOAT_DRIVER: 'fake', LIFEBOAT_DATA_DIR: dataDir, ...(database ? { LIFEBOAT_DATABASE_URL: database.url } : {}) }
      let child = await startLifeboatProcess(env, port)
      try {
        const clouds = YAML.parse(fs.readFileSync(path.join(dataDir, 'clouds.yaml'), 'utf8'))
        const base = `http://127.0.0.1:${port}`
        const admin = await login(base, 'admin', clouds.clouds['lifeboat-admin'].auth.password, 'admin')
        const imageId = await createImage(admin)
        const created = await admin.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'survivor', imageRef: imageId, flavorRef: '1' } } })
        assert.equal(created.status, 202, created.text)
        await waitForStatus(admin, created.body.server.id, 'ACTIVE')
        await killHard(child)
        // Now a slow driver: the stop task will be leased and the process killed mid-task.
        child = await startLifeboatProcess({ ...env, LIFEBOAT_FAKE_DELAY_MS: '3000' }, port)
        assert.equal((await action(admin, created.body.server.id, { 'os-stop': null })).status, 202)
        await new Promise((resolve) => setTimeout(resolve, 500))
        const during = await admin.request('GET', `/compute/v2.1/servers/${created.body.server.id}`)
        assert.equal(during.body.server['OS-EXT-STS:task_state'], 'powering-off')
        await killHard(child)
        child = await startLifeboatProcess(env, port)
        const after = await waitForStatus(admin, created.body.server.id, 'SHUTOFF', { timeoutMs: 15_000 })
        assert.equal(after['OS-EXT-STS:task_state'], null)
        assert.equal(after['OS-EXT-STS:power_state'], 4)
      } finally {
        await killHard(child)
        await database?.drop().catch(() => undefined)
        fs.rmSync(dataDir, { recursive: true, force: true })
      }
    })
  })
}
