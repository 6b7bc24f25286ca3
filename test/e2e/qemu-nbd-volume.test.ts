import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type Session, type TestCloud } from '../helpers/cloud.js'
import { action, uploadImageFile, waitForStatus, waitForVolumeStatus } from '../helpers/compute.js'
import { freePort, killHard, spawnLifeboat, type WatchedProcess } from '../helpers/lifeboat-process.js'
import { skipUnless } from '../helpers/tiers.js'
import { waitUntil } from '../helpers/wait-until.js'
import { onPath } from '../../src/virt/driver-factory.js'
import { buildImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { lastBoot, makeVolume, qemuSkip, writeMarker } from './lib/qemu-guests.js'

const BOOT_MS = 180_000
const HOST_A = 'nbd-host-a'
const HOST_B = 'nbd-host-b'
// A non-loopback IPv4 address of this machine (the storage network of a one-machine test).
const hostAddress = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address
const userData = (script: string) => Buffer.from(`#!/bin/sh\n${script}\n`).toString('base64')

async function consoleText(session: Session, id: string): Promise<string> {
  const res = await action(session, id, { 'os-getConsoleOutput': null })
  return res.status === 200 ? (res.body.output as string) : ''
}

async function waitForConsole(session: Session, id: string, pattern: RegExp, fromLength: number): Promise<string> {
  let text = ''
  return waitUntil(async () => {
    text = (await consoleText(session, id)).slice(fromLength)
    return pattern.test(text) ? text : undefined
  }, { timeoutMs: BOOT_MS, intervalMs: 500, what: () => `console of ${id} did not show ${pattern}:\n${text}` })
}

// Storage every host can reach without a shared folder: the control plane (embedded agent = host A) serves
// volumes over NBD; a second agent process (host B) with a data folder of its own boots a guest with the volume
// host A's guest wrote. Host B's QEMU opens the volume with its own NBD client: no path to the file anywhere.
describe('a volume written on host A is attached over NBD on host B', {
  skip: qemuSkip() || skipUnless(onPath('qemu-storage-daemon'), 'qemu-storage-daemon', 'apt-get install qemu-system-common') || (hostAddress ? false : 'no non-loopback IPv4 address for the NBD server'),
  timeout: 12 * 60_000,
}, () => {
  let cloud: TestCloud
  let agentB: WatchedProcess | null = null
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-nbd-'))
  const stateB = path.join(dir, 'host-b-state')
  let guestImage = ''
  let dataImage = ''

  before(async () => {
    const images = await buildImages()
    cloud = await startTestCloud('sqlite', {
      // Egress nat (the default): each QEMU runs in a network namespace of its own, whose way out never reaches the
      // host's loopback, so the NBD server listens on an address the hosts share (here one of this machine's own).
      agent: { driver: 'qemu', hostName: HOST_A }, compute: { shutdownTimeoutSeconds: 20 }, volumeTransport: 'nbd', nbdAddress: hostAddress!, nbdPort: await freePort(),
    })
    guestImage = await uploadImageFile(cloud.admin, images.guest, 'lifeboat-guest')
    dataImage = await uploadImageFile(cloud.admin, makeVolume(dir, 'data', 'made-by-the-volume-service'), 'data-disk', {}, 'raw')
    const credentialFile = path.join(dir, 'credential-b')
    fs.writeFileSync(credentialFile, await cloud.running.services.agents.issueCredential(HOST_B), { mode: 0o600 })
    const agent = await spawnLifeboat(['agent', '--control-url', cloud.url, '--host', HOST_B, '--credential-file', credentialFile, '--state-dir', stateB, '--driver', 'qemu'], { LIFEBOAT_LOG_LEVEL: 'info', LIFEBOAT_GUEST_EGRESS: 'nat' })
    agentB = agent
    await waitUntil(() => {
      if (agent.child.exitCode !== null) throw new Error(`agent B exited: ${agent.stderr()}`)
      return agent.stdout().includes(`compute agent ${HOST_B} registered`)
    }, { timeoutMs: 60_000, intervalMs: 100, what: () => `agent B did not register: ${agent.stdout()} ${agent.stderr()}` })
  })

  after(async () => {
    for (const stateDir of [path.join(stateB, 'qemu'), cloud ? path.join(cloud.running.config.dataDir, 'agent', 'qemu') : null]) {
      if (!stateDir || !fs.existsSync(stateDir)) continue
      const driver = new QemuDriver({ stateDir, machineType: 'pc' })
      for (const domain of await driver.listDomains()) await driver.destroy(domain.instanceId)
    }
    if (agentB) await killHard(agentB.child)
    await cloud?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('host A\'s guest writes the volume; host B\'s guest, the volume hot-plugged over NBD, reads it after a reboot', async () => {
    const admin = cloud.admin
    const created = await admin.request('POST', `/volume/v3/${admin.projectId}/volumes`, { body: { volume: { size: 1, imageRef: dataImage, name: 'shared-data' } } })
    assert.equal(created.status, 202, created.text)
    const volumeId = created.body.volume.id as string
    await waitForVolumeStatus(admin, volumeId, 'available', 60_000)

    const onA = await admin.request('POST', '/compute/v2.1/servers', {
      microversion: '2.37',
      body: {
        server: {
          name: 'writer', flavorRef: '42', networks: 'none', availability_zone: `nova:${HOST_A}`,
          user_data: userData(writeMarker('/dev/vdb', 'lifeboat-marker-host-a', 'written-on-host-a')),
          block_device_mapping_v2: [
            { boot_index: 0, source_type: 'image', uuid: guestImage, destination_type: 'local' },
            { boot_index: -1, source_type: 'volume', uuid: volumeId, destination_type: 'volume' },
          ],
        },
      },
    })
    assert.equal(onA.status, 202, onA.text)
    const writer = onA.body.server.id as string
    const activeA = await waitForStatus(admin, writer, 'ACTIVE', { timeoutMs: BOOT_MS })
    assert.equal(activeA['OS-EXT-SRV-ATTR:host'], HOST_A)
    const written = await waitForConsole(admin, writer, /LB-MARKER-DONE role=guest/, 0)
    assert.match(written, /wrote lifeboat-marker-host-a on \/dev\/vdb/)
    assert.equal((await admin.request('DELETE', `/compute/v2.1/servers/${writer}`)).status, 204)
    await waitForVolumeStatus(admin, volumeId, 'available', 120_000)

    const onB = await admin.request('POST', '/compute/v2.1/servers', {
      microversion: '2.37',
      body: { server: { name: 'reader', flavorRef: '42', networks: 'none', imageRef: guestImage, availability_zone: `nova:${HOST_B}`, user_data: userData('true') } },
    })
    assert.equal(onB.status, 202, onB.text)
    const reader = onB.body.server.id as string
    const activeB = await waitForStatus(admin, reader, 'ACTIVE', { timeoutMs: BOOT_MS })
    assert.equal(activeB['OS-EXT-SRV-ATTR:host'], HOST_B)
    await waitForConsole(admin, reader, /LB-MARKER-DONE role=guest/, 0)

    // Hot-plug over QMP blockdev-add with QEMU's NBD client, then a reboot that opens it from the command line.
    const attached = await admin.request('POST', `/compute/v2.1/servers/${reader}/os-volume_attachments`, { body: { volumeAttachment: { volumeId } } })
    assert.equal(attached.status, 200, attached.text)
    await waitForVolumeStatus(admin, volumeId, 'in-use', 120_000)
    const attachment = (await admin.request('GET', `/volume/v3/${admin.projectId}/attachments?volume_id=${volumeId}`, { microversion: '3.27' })).body.attachments[0]
    const info = (await admin.request('GET', `/volume/v3/${admin.projectId}/attachments/${attachment.id}`, { microversion: '3.27' })).body.attachment.connection_info
    assert.equal(info.driver_volume_type, 'nbd')

    const mark = (await consoleText(admin, reader)).length
    assert.equal((await action(admin, reader, { reboot: { type: 'HARD' } })).status, 202)
    const boot = lastBoot(await waitForConsole(admin, reader, /LB-MARKER-DONE role=guest/, mark))
    assert.equal(boot.files.vdb?.['lifeboat-marker-host-a'], 'written-on-host-a', 'host B reads what host A\'s guest wrote')
    assert.equal(boot.files.vdb?.['lifeboat-marker'], 'made-by-the-volume-service')

    // Host B's QEMU names the export, never the control plane's file.
    const volumeFile = (await cloud.running.services.volumes.findVolume(volumeId))!.backingPath
    const domain = await new QemuDriver({ stateDir: path.join(stateB, 'qemu'), machineType: 'pc' }).getDomain(reader)
    const argv = (JSON.parse(fs.readFileSync(path.join(stateB, 'qemu', 'domains', reader, 'domain.json'), 'utf8')) as { argv: string[] }).argv.join(' ')
    assert.match(argv, new RegExp(`file\\.driver=nbd,.*file\\.export=${info.name}`))
    assert.equal(argv.includes(volumeFile), false)
    assert.ok(domain?.layout.devices.some((d) => d.source.startsWith('nbd://')), 'the volume\'s source is an nbd:// URL')
  })
})
