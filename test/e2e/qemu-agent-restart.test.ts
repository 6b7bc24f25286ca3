import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { PowerState } from '../../src/virt/virt-driver.js'
import { consoleMark, disks, instance, qemuSkip, qemuWorld, waitForConsole } from './lib/qemu-guests.js'

describe('QEMU guests outlive their agent', { skip: qemuSkip(), timeout: 2 * 60_000 }, () => {
  let images: BuiltImages
  let dir: string
  let cleanup = async () => undefined as void

  before(async () => {
    ({ images, dir, cleanup } = await qemuWorld())
  })
  after(() => cleanup())

  test('kill -9 of the agent process leaves the guest running; a new agent finds it and controls it', async () => {
    const id = 'e2e-survivor-1'
    const stateDir = path.join(dir, 'qemu')
    const specFile = path.join(dir, 'spec.json')
    fs.writeFileSync(specFile, JSON.stringify(instance(id, [disks.imageRoot(images.guest)], null)))
    const agent = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'lib/spawn-guest-child.ts'), stateDir, specFile], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      agent.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('spawned')) resolve() })
      agent.once('exit', (code) => reject(new Error(`the agent exited early (${code})`)))
    })
    agent.kill('SIGKILL')
    await new Promise((resolve) => agent.once('exit', resolve))

    const restarted = new QemuDriver({ stateDir, machineType: 'pc' })
    await restarted.init()
    await waitForConsole(restarted, id, /LB-MARKER-DONE role=guest/, 0)
    assert.deepEqual((await restarted.listDomains()).map((d) => [d.instanceId, d.powerState]), [[id, PowerState.RUNNING]])
    const from = await consoleMark(restarted, id)
    await restarted.powerOff(id, { timeoutSeconds: 30 })
    await waitForConsole(restarted, id, /LB-POWERDOWN role=guest/, from, 5000)
    assert.equal((await restarted.getDomain(id))?.powerState, PowerState.SHUTDOWN)
  })
})
