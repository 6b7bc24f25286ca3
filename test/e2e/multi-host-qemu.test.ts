import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import YAML from 'yaml'
import { onPath } from '../../src/virt/driver-factory.js'
import { buildImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { killHard, runLifeboat, spawnLifeboat, freePort, type WatchedProcess } from '../helpers/lifeboat-process.js'
import { loginOver, requestJson } from '../helpers/https-client.js'
import { POSTGRES_AVAILABLE, createTestDatabase } from '../helpers/postgres.js'
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js'
import { skipUnless } from '../helpers/tiers.js'
import { waitUntil } from '../helpers/wait-until.js'
import { NetnsHosts, netnsUnavailable, type NetnsHost } from './lib/netns-hosts.js'
import { lastBoot, makeVolume, qemuSkip } from './lib/qemu-guests.js'

const LEASE_SECONDS = 15
const BOOT_MS = 240_000
const C = '/compute/v2.1'
const MV = '2.53'

const netnsProblem = netnsUnavailable()
const skip = qemuSkip()
  || skipUnless(netnsProblem === false, `Network namespaces (${netnsProblem})`, 'run the e2e tier as root with iproute2')
  || skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres')
  || skipUnless(onPath('qemu-storage-daemon'), 'qemu-storage-daemon', 'apt-get install qemu-system-common')

// Each boot: a marker on the root filesystem and one on the volume, written only when absent (so a later boot shows
// what an earlier one wrote), then a heartbeat on the serial console every second.
const GUEST_SCRIPT = [
  '#!/bin/sh',
  // The rescue system (same user_data): its own marker on the guest's root, then its own heartbeat.
  'if [ "$LB_ROLE" = rescue ]; then mkdir -p /m && mount -t ext4 /dev/vda2 /m && echo written-during-rescue > /m/lifeboat-marker-rescue && sync && umount /m; ( i=0; while true; do i=$((i+1)); echo "LB-RESCUE-ALIVE $i"; sleep 1; done ) & exit 0; fi',
  'mkdir -p /m && mount -t ext4 /dev/vda2 /m && { [ -e /m/lifeboat-marker-root ] || echo root-written-on-host-a > /m/lifeboat-marker-root; sync; umount /m; }',
  'if [ -b /dev/vdb ]; then mkdir -p /v && mount -t ext4 /dev/vdb /v && { [ -e /v/lifeboat-marker-vol ] || echo volume-written-on-host-a > /v/lifeboat-marker-vol; sync; umount /v; }; fi',
  'echo LB-WROTE-MARKERS',
  '( i=0; while true; do i=$((i+1)); echo "LB-ALIVE $i"; sleep 1; done ) &',
].join('\n')

/**
 * Several hosts for real: `lifeboat control` on PostgreSQL serving TLS and
 * volumes over NBD on a bridge address, two `lifeboat agent` processes with
 * the QEMU driver, each in its own network namespace with its own data folder,
 * guests with egress nat (QEMU in a namespace of its own inside the host's).
 * A server with a volume is rescued on A and live-migrated rescued to B (beyond
 * Nova), its rescue's console read on B, unrescued there, then live-migrated
 * back to A; then agent A is killed -9 during a second server's rescue, its
 * service forced down, and that server evacuated to B.
 */
describe('many hosts with QEMU: live migration with an NBD volume, evacuation after kill -9', { skip, timeout: 15 * 60_000 }, () => {
  let net: NetnsHosts
  let certs: TestCerts
  let dropDatabase: (() => Promise<void>) | null = null
  let databaseUrl = ''
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-mh-qemu-'))
  let control: WatchedProcess | null = null
  const agents = new Map<string, WatchedProcess>()
  let base = ''
  let ca = ''
  let token = ''
  let projectId = ''
  let guestImage = ''
  let rescueImage = ''
  let dataImage = ''
  let flavorId = ''
  const hostA = () => net.hosts[0]!
  const hostB = () => net.hosts[1]!
  const nameOf = (host: NetnsHost) => `host-${host.index === 1 ? 'a' : 'b'}`

  const api = (method: string, route: string, body?: unknown, microversion = MV) =>
    requestJson(`${base}${route}`, { ca, token, method, body, headers: { 'x-openstack-nova-api-version': microversion, 'openstack-api-version': 'volume 3.27' } })
  const server = async (id: string) => {
    const res = await api('GET', `${C}/servers/${id}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body.server
  }
  const action = async (id: string, body: Record<string, unknown>, microversion = MV) => {
    const res = await api('POST', `${C}/servers/${id}/action`, body, microversion)
    assert.ok(res.status === 202 || res.status === 200, `${Object.keys(body)[0]}: ${res.status} ${JSON.stringify(res.body)}`)
  }
  const consoleText = async (id: string): Promise<string> => {
    const res = await api('POST', `${C}/servers/${id}/action`, { 'os-getConsoleOutput': null })
    return res.status === 200 ? String(res.body.output) : ''
  }
  const waitForConsole = async (id: string, pattern: RegExp, fromLength = 0): Promise<string> => {
    let text = ''
    return waitUntil(async () => {
      text = (await consoleText(id)).slice(fromLength)
      return pattern.test(text) ? text : undefined
    }, { timeoutMs: BOOT_MS, intervalMs: 1000, what: () => `console of ${id} did not show ${pattern}:\n${text.slice(-2000)}` })
  }
  /** Waits until the server has no task and is not building; fails fast on ERROR unless `allowError`. */
  const settled = async (id: string, timeoutMs: number, allowError = false) => waitUntil(async () => {
    const s = await server(id)
    if (s.status === 'ERROR' && !allowError) assert.fail(`server ${id} went to ERROR: ${JSON.stringify(s.fault)}`)
    return s['OS-EXT-STS:task_state'] === null && s.status !== 'BUILD' ? s : undefined
  }, { timeoutMs, intervalMs: 500, what: `server ${id} did not settle` })
  /** os-migrateLive to `host` (admin, 2.30), waited for until the server is there with no task, in `status`. */
  const liveMigrate = async (id: string, host: string, status: string) => {
    await action(id, { 'os-migrateLive': { host, block_migration: 'auto' } }, '2.30')
    let seen: unknown = null
    const moved = await waitUntil(async () => {
      const s = seen = await server(id)
      if (s.status === 'ERROR') assert.fail(`live migration failed: ${JSON.stringify(s.fault)}`)
      return s['OS-EXT-STS:task_state'] === null && s['OS-EXT-SRV-ATTR:host'] === host ? s : undefined
    }, { timeoutMs: BOOT_MS, intervalMs: 500, what: () => `the server never arrived on ${host}: ${JSON.stringify(seen)}` })
    assert.equal(moved.status, status)
  }
  const upload = async (file: string, name: string, diskFormat: string, properties: Record<string, string> = {}) => {
    const image = await api('POST', '/image/v2/images', { name, disk_format: diskFormat, container_format: 'bare', ...properties })
    assert.equal(image.status, 201, JSON.stringify(image.body))
    const put = await requestJson(`${base}/image/v2/images/${image.body.id}/file`, { ca, token, method: 'PUT', rawBody: fs.readFileSync(file) })
    assert.equal(put.status, 204, JSON.stringify(put.body))
    return image.body.id as string
  }

  const startAgent = async (host: NetnsHost) => {
    const name = nameOf(host)
    const args = ['agent', '--control-url', base, '--host', name, '--host-ip', host.address, '--credential-file', path.join(dataDir, `${name}.credential`),
      '--state-dir', path.join(dataDir, name), '--driver', 'qemu', '--ca-file', certs.caCert]
    const agent = await net.spawnLifeboat(host, args, { LIFEBOAT_LOG_LEVEL: 'info', LIFEBOAT_GUEST_EGRESS: 'nat' })
    agents.set(name, agent)
    await waitUntil(() => {
      if (agent.child.exitCode !== null) throw new Error(`agent ${name} exited: ${agent.stderr()}`)
      return agent.stdout().includes(`compute agent ${name} registered`)
    }, { timeoutMs: 120_000, intervalMs: 100, what: () => `agent ${name} did not register: ${agent.stdout()} ${agent.stderr()}` })
  }

  before(async () => {
    const images = await buildImages()
    net = NetnsHosts.create(2)
    certs = makeTestCerts([net.gateway])
    ca = fs.readFileSync(certs.caCert, 'utf8')
    const database = await createTestDatabase()
    databaseUrl = database.url
    dropDatabase = database.drop
    const port = await freePort()
    base = `https://${net.gateway}:${port}`
    fs.writeFileSync(path.join(dataDir, 'lifeboat.yaml'), YAML.stringify({ agent: { leaseSeconds: LEASE_SECONDS }, compute: { shutdownTimeoutSeconds: 10 } }))
    control = await spawnLifeboat(['control'], {
      LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_DATABASE_URL: databaseUrl, LIFEBOAT_CONFIG: path.join(dataDir, 'lifeboat.yaml'), LIFEBOAT_PORT: String(port),
      LIFEBOAT_HOST: net.gateway, LIFEBOAT_TLS_CERT: certs.serverCert, LIFEBOAT_TLS_KEY: certs.serverKey, LIFEBOAT_TLS_CA: certs.caCert,
      // Volumes over NBD on the bridge: the hosts' QEMUs (each in its nat namespace) reach it through slirp4netns.
      LIFEBOAT_VOLUME_TRANSPORT: 'nbd', LIFEBOAT_NBD_ADDRESS: net.gateway, LIFEBOAT_NBD_PORT: String(await freePort()), LIFEBOAT_LOG_LEVEL: 'info',
    })
    const clouds = await waitUntil(() => {
      if (control!.child.exitCode !== null) throw new Error(`control exited: ${control!.stderr()}`)
      const file = path.join(dataDir, 'clouds.yaml')
      return fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, 'utf8')) : undefined
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'the control plane wrote no clouds.yaml' })
    await waitUntil(async () => (await requestJson(`${base}/compute/v2.1`, { ca }).catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 60_000, intervalMs: 200, what: 'the control plane does not answer over TLS' })
    const login = await loginOver(base, ca, 'admin', clouds.clouds['lifeboat-admin'].auth.password, 'admin')
    token = login.token
    projectId = login.body.token.project.id
    for (const host of net.hosts) {
      const issued = await runLifeboat(['agent-credential', nameOf(host)], { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_DATABASE_URL: databaseUrl })
      assert.equal(issued.code, 0, issued.stderr)
      fs.writeFileSync(path.join(dataDir, `${nameOf(host)}.credential`), issued.stdout.trim(), { mode: 0o600 })
    }
    await Promise.all([startAgent(hostA()), startAgent(hostB())])
    guestImage = await upload(images.guest, 'lifeboat-guest', 'qcow2')
    rescueImage = await upload(images.rescueDisk, 'lifeboat-rescue', 'qcow2', { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' })
    dataImage = await upload(makeVolume(dataDir, 'data', 'made-by-the-volume-service'), 'data-disk', 'raw')
    const flavor = await api('POST', `${C}/flavors`, { flavor: { name: 'mh.128', ram: 128, vcpus: 1, disk: 1 } })
    assert.equal(flavor.status, 200, JSON.stringify(flavor.body))
    flavorId = flavor.body.flavor.id
  })

  after(async () => {
    for (const agent of agents.values()) await killHard(agent.child)
    // QEMU outlives its agent: destroy what each host's data folder still runs (slirp4netns goes with its QEMU).
    for (const name of ['host-a', 'host-b']) {
      const stateDir = path.join(dataDir, name, 'qemu')
      if (!fs.existsSync(stateDir)) continue
      const driver = new QemuDriver({ stateDir, machineType: 'pc' })
      for (const domain of await driver.listDomains().catch(() => [])) await driver.destroy(domain.instanceId).catch(() => undefined)
    }
    if (control) await killHard(control.child)
    // The control plane's qemu-storage-daemon is its child, not killed with it by SIGKILL.
    const daemonPid = path.join(dataDir, 'nbd', 'qemu-storage-daemon.pid')
    if (fs.existsSync(daemonPid)) {
      try {
        process.kill(Number(fs.readFileSync(daemonPid, 'utf8').trim()), 'SIGKILL')
      } catch {
        // already gone
      }
    }
    net?.remove()
    certs?.remove()
    await dropDatabase?.().catch(() => undefined)
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  let migrated = ''

  test('a server with an NBD volume, rescued on A, live-migrated rescued to B: its rescue goes on there; unrescue on B boots it with its root disk and the volume; then live to A', async (t) => {
    const volume = await api('POST', `/volume/v3/${projectId}/volumes`, { volume: { size: 1, imageRef: dataImage, name: 'mh-data' } })
    assert.equal(volume.status, 202, JSON.stringify(volume.body))
    const volumeId = volume.body.volume.id as string
    await waitUntil(async () => (await api('GET', `/volume/v3/${projectId}/volumes/${volumeId}`)).body.volume.status === 'available', { timeoutMs: 120_000, intervalMs: 500, what: 'the volume never became available' })
    const created = await api('POST', `${C}/servers`, {
      server: {
        name: 'mover', flavorRef: flavorId, networks: 'none', availability_zone: `nova:${nameOf(hostA())}`, user_data: Buffer.from(GUEST_SCRIPT).toString('base64'),
        block_device_mapping_v2: [
          { boot_index: 0, source_type: 'image', uuid: guestImage, destination_type: 'local' },
          { boot_index: -1, source_type: 'volume', uuid: volumeId, destination_type: 'volume' },
        ],
      },
    })
    assert.equal(created.status, 202, JSON.stringify(created.body))
    migrated = created.body.server.id
    const active = await settled(migrated, BOOT_MS)
    assert.equal(active.status, 'ACTIVE')
    assert.equal(active['OS-EXT-SRV-ATTR:host'], 'host-a')
    // Its QEMU runs in a network namespace of its own (egress nat), inside host A's.
    const recordA = JSON.parse(fs.readFileSync(path.join(dataDir, 'host-a', 'qemu', 'domains', migrated, 'domain.json'), 'utf8')) as { egress?: string }
    assert.equal(recordA.egress, 'nat')
    const first = await waitForConsole(migrated, /LB-ALIVE 3\b/)
    assert.match(first, /LB-WROTE-MARKERS/)
    assert.equal(lastBoot(first).files.vdb?.['lifeboat-marker'], 'made-by-the-volume-service', 'host A\'s guest reads the volume over NBD')

    // Rescued on A (stable rescue: root at vda, the volume at vdb, the rescue disk last), then moved live to B — beyond Nova.
    let mark = (await consoleText(migrated)).length
    const rescued = await api('POST', `${C}/servers/${migrated}/action`, { rescue: { rescue_image_ref: rescueImage } }, '2.87')
    assert.equal(rescued.status, 200, JSON.stringify(rescued.body))
    assert.equal((await settled(migrated, BOOT_MS)).status, 'RESCUE')
    await waitForConsole(migrated, /LB-RESCUE-ALIVE 3\b/, mark)
    await liveMigrate(migrated, 'host-b', 'RESCUE')

    // The rescue system's console is now host B's: the same rescue goes on counting there, no new boot.
    const rescueOnB = await waitForConsole(migrated, /LB-RESCUE-ALIVE \d+[\s\S]*LB-RESCUE-ALIVE \d+/)
    assert.doesNotMatch(rescueOnB, /LB-MARKER-BOOTED/, 'the rescue continued on B, it did not boot again')
    t.diagnostic(`the rescue's console on host B after the migration: ${rescueOnB.trim().split('\n').slice(-2).join(' | ')}`)

    // Unrescue on B: the original boots there with its root disk (mirrored from A, the rescue's change kept) and the volume (over NBD from B).
    mark = (await consoleText(migrated)).length
    await action(migrated, { unrescue: null }, '2.87')
    assert.equal((await settled(migrated, BOOT_MS)).status, 'ACTIVE')
    const boot = lastBoot(await waitForConsole(migrated, /LB-MARKER-DONE role=guest/, mark))
    assert.equal(boot.role, 'guest')
    assert.equal(boot.files.vda2?.['lifeboat-marker-root'], 'root-written-on-host-a', boot.text)
    assert.equal(boot.files.vda2?.['lifeboat-marker-rescue'], 'written-during-rescue', boot.text)
    assert.equal(boot.files.vdb?.['lifeboat-marker-vol'], 'volume-written-on-host-a', boot.text)
    assert.equal(boot.files.vdb?.['lifeboat-marker'], 'made-by-the-volume-service', boot.text)
    const recordB = JSON.parse(fs.readFileSync(path.join(dataDir, 'host-b', 'qemu', 'domains', migrated, 'domain.json'), 'utf8')) as { egress?: string }
    assert.equal(recordB.egress, 'nat')

    // And a plain live migration back to A: the heartbeat goes on there.
    await waitForConsole(migrated, /LB-ALIVE 2\b/, mark)
    await liveMigrate(migrated, 'host-a', 'ACTIVE')
    const onA = await waitForConsole(migrated, /LB-ALIVE \d+[\s\S]*LB-ALIVE \d+/)
    assert.doesNotMatch(onA, /LB-MARKER-BOOTED/, 'the guest continued on A, it did not boot again')
    const migrations = await api('GET', `${C}/os-migrations?instance_uuid=${migrated}`, undefined, '2.59')
    assert.equal(migrations.status, 200, JSON.stringify(migrations.body))
    const moves = migrations.body.migrations.filter((m: any) => m.migration_type === 'live-migration').map((m: any) => [m.source_compute, m.dest_compute, m.status])
    assert.deepEqual(moves.sort(), [['host-a', 'host-b', 'completed'], ['host-b', 'host-a', 'completed']])
  })

  test('agent A killed -9 during a second server\'s rescue; host A forced down; the server is evacuated to B and boots there', async (t) => {
    // Two guests at most: the migrated one goes first.
    if (migrated) {
      assert.equal((await api('DELETE', `${C}/servers/${migrated}`)).status, 204)
      await waitUntil(async () => (await api('GET', `${C}/servers/${migrated}`)).status === 404, { timeoutMs: 120_000, intervalMs: 500, what: 'the migrated server was not deleted' })
    }
    const created = await api('POST', `${C}/servers`, {
      server: { name: 'stranded', flavorRef: flavorId, imageRef: guestImage, networks: 'none', availability_zone: `nova:${nameOf(hostA())}`, user_data: Buffer.from(GUEST_SCRIPT).toString('base64') },
    })
    assert.equal(created.status, 202, JSON.stringify(created.body))
    const id = created.body.server.id as string
    assert.equal((await settled(id, BOOT_MS)).status, 'ACTIVE')
    await waitForConsole(id, /LB-MARKER-DONE role=guest/)

    await action(id, { rescue: null })
    // Kill once agent A has leased the rescue (its compute event started, not finished).
    await waitUntil(async () => {
      const list = await api('GET', `${C}/servers/${id}/os-instance-actions`)
      const shown = await api('GET', `${C}/servers/${id}/os-instance-actions/${list.body.instanceActions[0].request_id}`)
      return (shown.body.instanceAction.events ?? []).some((e: any) => e.event.startsWith('compute_') && !e.finish_time)
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'agent A never started the rescue' })
    await killHard(agents.get('host-a')!.child)
    const services = await api('GET', `${C}/os-services?host=host-a&binary=nova-compute`)
    const serviceId = services.body.services[0].id as string
    const forced = await api('PUT', `${C}/os-services/${serviceId}`, { forced_down: true })
    assert.equal(forced.status, 200, JSON.stringify(forced.body))
    assert.equal(forced.body.service.state, 'down')

    // The rescue's lease runs out: the task fails and the server is back as it was (or ERROR), no task left.
    const after = await settled(id, LEASE_SECONDS * 1000 + 60_000, true)
    assert.ok(after.status === 'ACTIVE' || after.status === 'ERROR', `after the lease: ${after.status}`)
    assert.equal(after['OS-EXT-SRV-ATTR:host'], 'host-a')

    await action(id, { evacuate: { host: 'host-b' } })
    let seen: unknown = null
    const evacuated = await waitUntil(async () => {
      const s = seen = await server(id)
      if (s.status === 'ERROR' && s['OS-EXT-STS:task_state'] === null) assert.fail(`evacuation failed: ${JSON.stringify(s.fault)}`)
      return s['OS-EXT-STS:task_state'] === null && s['OS-EXT-SRV-ATTR:host'] === 'host-b' ? s : undefined
    }, { timeoutMs: BOOT_MS, intervalMs: 500, what: () => `the server was not evacuated to B: ${JSON.stringify(seen)}` })
    assert.equal(evacuated.status, 'ACTIVE')
    const boot = lastBoot(await waitForConsole(id, /LB-MARKER-DONE role=guest/))
    assert.equal(boot.role, 'guest')
    const migrations = await api('GET', `${C}/os-migrations?instance_uuid=${id}`, undefined, '2.59')
    const evacuation = migrations.body.migrations.find((m: any) => m.migration_type === 'evacuation')
    assert.equal(evacuation?.status, 'done', JSON.stringify(migrations.body))
    t.diagnostic(`evacuated to host B after kill -9 of agent A: ${evacuated.status}`)
  })
})
