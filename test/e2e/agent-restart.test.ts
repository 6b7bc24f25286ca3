import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { describe, test } from 'node:test'
import YAML from 'yaml'
import { login } from '../helpers/cloud.js'
import { action, waitForStatus } from '../helpers/compute.js'
import { freePort, killHard, startLifeboatProcess } from '../helpers/lifeboat-process.js'
import { buildImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { qemuSkip } from './lib/qemu-guests.js'

/** Whether a process runs (a zombie waiting to be reaped has ended). */
function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

describe('kill -9 of the agent while a real guest runs', { skip: qemuSkip(), timeout: 6 * 60_000 }, () => {
  test('the guest keeps running; after restart the agent finds it again and acts on it', async () => {
    const images = await buildImages()
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-restart-'))
    const port = await freePort()
    const env = { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_DRIVER: 'qemu', LIFEBOAT_SHUTDOWN_TIMEOUT: '30' }
    let child: ChildProcess = await startLifeboatProcess(env, port)
    try {
      const clouds = YAML.parse(fs.readFileSync(path.join(dataDir, 'clouds.yaml'), 'utf8'))
      const admin = await login(`http://127.0.0.1:${port}`, 'admin', clouds.clouds['lifeboat-admin'].auth.password, 'admin')
      const image = await admin.request('POST', '/image/v2/images', { body: { name: 'guest', disk_format: 'qcow2', container_format: 'bare' } })
      await admin.request('PUT', `/image/v2/images/${image.body.id}/file`, { rawBody: fs.readFileSync(images.guest), contentType: 'application/octet-stream' })
      const created = await admin.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'survivor', imageRef: image.body.id, flavorRef: '42' } } })
      assert.equal(created.status, 202, created.text)
      const id = created.body.server.id
      await waitForStatus(admin, id, 'ACTIVE', { timeoutMs: 120_000 })
      const deadline = Date.now() + 120_000
      let booted = ''
      while (Date.now() < deadline && !/LB-MARKER-DONE role=guest/.test(booted)) {
        booted = (await action(admin, id, { 'os-getConsoleOutput': null })).body.output
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
      assert.match(booted, /LB-MARKER-DONE role=guest/)
      const pidFile = fs.readdirSync(path.join(dataDir, 'agent', 'qemu', 'domains', id)).find((f) => f.endsWith('.pid'))
      assert.ok(pidFile, 'the domain has a pidfile')
      const pid = Number(fs.readFileSync(path.join(dataDir, 'agent', 'qemu', 'domains', id, pidFile), 'utf8').trim())

      await killHard(child)
      assert.ok(processAlive(pid), 'QEMU survives the agent')

      child = await startLifeboatProcess(env, port)
      const server = await waitForStatus(admin, id, 'ACTIVE')
      assert.equal(server['OS-EXT-STS:power_state'], 1)
      const console = await action(admin, id, { 'os-getConsoleOutput': null })
      assert.match(console.body.output, /LB-MARKER-BOOTED role=guest/)
      assert.equal((await action(admin, id, { 'os-stop': null })).status, 202)
      await waitForStatus(admin, id, 'SHUTOFF', { timeoutMs: 60_000 })
      assert.equal(processAlive(pid), false, 'the restarted agent stopped the same QEMU process')
    } finally {
      await killHard(child)
      const driver = new QemuDriver({ stateDir: path.join(dataDir, 'agent', 'qemu'), machineType: 'pc' })
      for (const domain of await driver.listDomains()) await driver.destroy(domain.instanceId)
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
