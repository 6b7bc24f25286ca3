import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, test } from 'node:test'
import YAML from 'yaml'
import { WebSocket } from 'ws'
import { openDatabase } from '../../src/db/database.js'
import { killHard, runLifeboat, spawnLifeboat, freePort, type WatchedProcess } from '../helpers/lifeboat-process.js'
import { loginOver, requestJson } from '../helpers/https-client.js'
import { OPENSTACK_BIN } from '../helpers/openstack-cli.js'
import { POSTGRES_AVAILABLE, createTestDatabase } from '../helpers/postgres.js'
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js'
import { skipUnless } from '../helpers/tiers.js'
import { waitUntil } from '../helpers/wait-until.js'
import { NetnsHosts, netnsUnavailable, type NetnsHost } from './lib/netns-hosts.js'

const execFileAsync = promisify(execFile)

/** Short thresholds (config file knobs): a host is down before its leases expire, so an expired task fails. */
const LEASE_SECONDS = 10
const SERVICE_DOWN_SECONDS = 6
/** Host A's fake-driver delay per operation: its tasks are in flight long enough to be cut off. */
const SLOW_MS = 3000
/** How long "settled" may take beyond a lease (processes start on a busy 2-core machine). */
const SLACK_MS = 25_000
const C = '/compute/v2.1'

const netnsProblem = netnsUnavailable()
const skip = skipUnless(netnsProblem === false, `Network namespaces (${netnsProblem})`, 'run the e2e tier as root with iproute2')
  || skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres')

/**
 * Several hosts as an operator runs them: `lifeboat control` on PostgreSQL
 * serving TLS on a bridge address, and two `lifeboat agent` processes (fake
 * driver), each in its own network namespace with its own address, data
 * folder and host name, trusting the control plane's test CA. Then faults:
 * agent A killed -9 mid-task, and cut off the network for longer than a lease.
 */
describe('many hosts: a control plane and two agents in network namespaces, over TLS', { skip, timeout: 180_000 }, () => {
  let net: NetnsHosts
  let certs: TestCerts
  let dropDatabase: (() => Promise<void>) | null = null
  let databaseUrl = ''
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-multi-host-'))
  let control: WatchedProcess | null = null
  const agents = new Map<string, WatchedProcess>()
  let base = ''
  let ca = ''
  let token = ''
  let imageId = ''
  const servers: Record<string, string> = {}
  const hostA = () => net.hosts[0]!
  const hostB = () => net.hosts[1]!
  const nameOf = (host: NetnsHost) => `host-${host.index === 1 ? 'a' : 'b'}`

  const api = async (method: string, route: string, body?: unknown, microversion = '2.53') => {
    const res = await requestJson(`${base}${route}`, { ca, token, method, body, headers: { 'x-openstack-nova-api-version': microversion } })
    return res
  }
  const server = async (id: string) => {
    const res = await api('GET', `${C}/servers/${id}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body.server
  }
  const lastAction = async (id: string) => {
    const list = await api('GET', `${C}/servers/${id}/os-instance-actions`)
    const shown = await api('GET', `${C}/servers/${id}/os-instance-actions/${list.body.instanceActions[0].request_id}`)
    return shown.body.instanceAction
  }
  const service = async (host: NetnsHost) => (await api('GET', `${C}/os-services?host=${nameOf(host)}`)).body.services[0]
  const action = async (id: string, body: Record<string, unknown>) => {
    const res = await api('POST', `${C}/servers/${id}/action`, body)
    assert.ok(res.status === 202 || res.status === 200, `${Object.keys(body)[0]}: ${res.status} ${JSON.stringify(res.body)}`)
  }
  /** Waits until the server has no task and is not building; its status. */
  const settled = async (id: string, timeoutMs: number) => waitUntil(async () => {
    const s = await server(id)
    return s['OS-EXT-STS:task_state'] === null && s.status !== 'BUILD' ? s : undefined
  }, { timeoutMs, intervalMs: 250, what: `server ${id} did not settle` })
  /** Waits until the server's newest action has a compute event that started and has not finished (its task runs on the agent). */
  const inFlight = async (id: string) => waitUntil(async () => ((await lastAction(id)).events ?? []).some((e: any) => e.event.startsWith('compute_') && !e.finish_time), {
    timeoutMs: 30_000, intervalMs: 100, what: `no task of server ${id} started on its agent`,
  })
  const boot = async (name: string, host: NetnsHost) => {
    const res = await api('POST', `${C}/servers`, { server: { name, imageRef: imageId, flavorRef: '1', networks: 'none', availability_zone: `nova:${nameOf(host)}` } })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    return res.body.server.id as string
  }

  const env = () => ({
    LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_DATABASE_URL: databaseUrl, LIFEBOAT_CONFIG: path.join(dataDir, 'lifeboat.yaml'),
    LIFEBOAT_HOST: net.gateway, LIFEBOAT_TLS_CERT: certs.serverCert, LIFEBOAT_TLS_KEY: certs.serverKey, LIFEBOAT_TLS_CA: certs.caCert,
  })

  const startAgent = async (host: NetnsHost, delayMs: number) => {
    const name = nameOf(host)
    // A names its address (--host-ip); B does not: the control plane takes the address B's register came from.
    const named = host.index === 1 ? ['--host-ip', host.address] : []
    const args = ['agent', '--control-url', base, '--host', name, ...named, '--credential-file', path.join(dataDir, `${name}.credential`),
      '--state-dir', path.join(dataDir, name), '--driver', 'fake', '--ca-file', certs.caCert]
    const agent = await net.spawnLifeboat(host, args, { LIFEBOAT_FAKE_DELAY_MS: String(delayMs), LIFEBOAT_LOG_LEVEL: 'info' })
    agents.set(name, agent)
    await waitUntil(() => {
      if (agent.child.exitCode !== null) throw new Error(`agent ${name} exited: ${agent.stderr()}`)
      return agent.stdout().includes(`compute agent ${name} registered`)
    }, { timeoutMs: 30_000, intervalMs: 50, what: () => `agent ${name} did not register: ${agent.stdout()} ${agent.stderr()}` })
  }

  before(async () => {
    net = NetnsHosts.create(2)
    certs = makeTestCerts([net.gateway])
    ca = fs.readFileSync(certs.caCert, 'utf8')
    const database = await createTestDatabase()
    databaseUrl = database.url
    dropDatabase = database.drop
    const port = await freePort()
    base = `https://${net.gateway}:${port}`
    fs.writeFileSync(path.join(dataDir, 'lifeboat.yaml'), YAML.stringify({ agent: { leaseSeconds: LEASE_SECONDS }, compute: { serviceDownSeconds: SERVICE_DOWN_SECONDS } }))
    // The agent API's requests are logged at debug: the test reads when a late result arrives.
    control = await spawnLifeboat(['control'], { ...env(), LIFEBOAT_PORT: String(port), LIFEBOAT_LOG_LEVEL: 'debug' })
    const clouds = await waitUntil(() => {
      if (control!.child.exitCode !== null) throw new Error(`control exited: ${control!.stderr()}`)
      const file = path.join(dataDir, 'clouds.yaml')
      return fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, 'utf8')) : undefined
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'the control plane wrote no clouds.yaml' })
    await waitUntil(async () => (await requestJson(`${base}/compute/v2.1`, { ca }).catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 30_000, intervalMs: 100, what: 'the control plane does not answer over TLS' })
    token = (await loginOver(base, ca, 'admin', clouds.clouds['lifeboat-admin'].auth.password, 'admin')).token
    for (const host of net.hosts) {
      const issued = await runLifeboat(['agent-credential', nameOf(host)], { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_DATABASE_URL: databaseUrl })
      assert.equal(issued.code, 0, issued.stderr)
      fs.writeFileSync(path.join(dataDir, `${nameOf(host)}.credential`), issued.stdout.trim(), { mode: 0o600 })
    }
    await Promise.all([startAgent(hostA(), SLOW_MS), startAgent(hostB(), 0)])
    const image = await api('POST', '/image/v2/images', { name: 'base', disk_format: 'raw', container_format: 'bare' })
    assert.equal(image.status, 201, JSON.stringify(image.body))
    const uploaded = await requestJson(`${base}/image/v2/images/${image.body.id}/file`, { ca, token, method: 'PUT', rawBody: Buffer.alloc(64 * 1024) })
    assert.equal(uploaded.status, 204)
    imageId = image.body.id
  })

  after(async () => {
    for (const agent of agents.values()) await killHard(agent.child)
    if (control) await killHard(control.child)
    net?.remove()
    certs?.remove()
    await dropDatabase?.().catch(() => undefined)
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  test('both agents register over TLS; `openstack hypervisor list` shows each with its own host_ip (named by A, seen by the control plane for B)', { skip: fs.existsSync(OPENSTACK_BIN) ? false : 'no openstack CLI' }, async () => {
    const { stdout } = await execFileAsync(OPENSTACK_BIN, ['--os-cloud', 'lifeboat-admin', 'hypervisor', 'list', '-f', 'json'], {
      env: { PATH: '/usr/bin:/bin', HOME: dataDir, OS_CLIENT_CONFIG_FILE: path.join(dataDir, 'clouds.yaml') }, timeout: 120_000,
    })
    const listed = (JSON.parse(stdout) as Array<Record<string, string>>).map((h) => [h['Hypervisor Hostname'], h['Host IP'], h.State])
    assert.deepEqual(listed.sort(), [['host-a', hostA().address, 'up'], ['host-b', hostB().address, 'up']])
  })

  test('servers land on the host they are sent to, and a serial console of host A\'s guest works (the dial-back crosses the veth)', async () => {
    const ids = await Promise.all([boot('a1', hostA()), boot('a2', hostA()), boot('b1', hostB())])
    Object.assign(servers, { a1: ids[0], a2: ids[1], b1: ids[2] })
    for (const [name, id] of Object.entries(servers)) {
      const s = await settled(id, 60_000)
      assert.equal(s.status, 'ACTIVE', `${name}: ${JSON.stringify(s.fault)}`)
      assert.equal(s['OS-EXT-SRV-ATTR:host'], name.startsWith('a') ? 'host-a' : 'host-b')
    }
    const consoleRes = await api('POST', `${C}/servers/${servers.a1}/remote-consoles`, { remote_console: { protocol: 'serial', type: 'serial' } }, '2.6')
    assert.equal(consoleRes.status, 200, JSON.stringify(consoleRes.body))
    const url = String(consoleRes.body.remote_console.url)
    assert.match(url, new RegExp(`^wss://${net.gateway.replace(/\./g, '\\.')}:\\d+/\\?token=`))
    const socket = new WebSocket(url, ['binary'], { ca })
    let seen = ''
    socket.on('message', (data: Buffer) => { seen += data.toString() })
    await new Promise((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    try {
      socket.send(Buffer.from('hello from the root namespace\r'))
      await waitUntil(() => seen.includes('hello from the root namespace'), { timeoutMs: 15_000, intervalMs: 50, what: () => `no echo on the serial console: ${JSON.stringify(seen)}` })
    } finally {
      socket.close()
    }
  })

  test('agent A killed -9 while its rescue task is leased: after the lease the rescue fails cleanly; host B\'s work goes on', async (t) => {
    await action(servers.a1!, { rescue: null })
    await inFlight(servers.a1!)
    await killHard(agents.get('host-a')!.child)
    await action(servers.b1!, { 'os-stop': null })
    const a1 = await settled(servers.a1!, LEASE_SECONDS * 1000 + SLACK_MS)
    assert.ok(a1.status === 'ACTIVE' || a1.status === 'ERROR', `a1 is ${a1.status}`)
    assert.equal((await lastAction(servers.a1!)).message, 'Error')
    const b1 = await settled(servers.b1!, SLACK_MS)
    assert.equal(b1.status, 'SHUTOFF')
    assert.equal((await lastAction(servers.b1!)).message, null)
    await waitUntil(async () => (await service(hostA())).state === 'down', { timeoutMs: SLACK_MS, intervalMs: 250, what: 'host A never showed down' })
    assert.equal((await service(hostB())).state, 'up')
    t.diagnostic(`after kill -9 of agent A: a1 ${a1.status}, b1 ${b1.status}`)
    await startAgent(hostA(), SLOW_MS)
    await waitUntil(async () => (await service(hostA())).state === 'up', { timeoutMs: SLACK_MS, intervalMs: 250, what: 'host A did not come back up' })
  })

  test('agent A cut off (link down) longer than a lease: its task fails cleanly, B unaffected; link up: A resumes and its late result is not applied', async (t) => {
    const a2 = servers.a2!
    await action(a2, { 'os-stop': null })
    await inFlight(a2)
    net.partition(hostA())
    await action(servers.b1!, { 'os-start': null })
    const cutOff = await settled(a2, LEASE_SECONDS * 1000 + SLACK_MS)
    assert.ok(cutOff.status === 'ACTIVE' || cutOff.status === 'ERROR', `a2 is ${cutOff.status}`)
    assert.equal((await lastAction(a2)).message, 'Error')
    assert.equal((await settled(servers.b1!, SLACK_MS)).status, 'ACTIVE')
    assert.equal((await service(hostA())).state, 'down')

    // The task's id, to see its late result arrive once A is back.
    const database = openDatabase(databaseUrl)
    const task = await database.db.selectFrom('tasks').select(['id', 'status']).where('instance_uuid', '=', a2).where('kind', '=', 'power_off').executeTakeFirstOrThrow()
    await database.close()
    assert.equal(task.status, 'failed')
    const agentA = agents.get('host-a')!
    await waitUntil(() => agentA.stdout().includes(`task power_off of server ${a2} done`), { timeoutMs: SLACK_MS, intervalMs: 250, what: () => `agent A never finished the stop: ${agentA.stdout()}` })
    net.heal(hostA())
    await waitUntil(() => control!.stdout().includes(`/agent/v1/tasks/${task.id}/finish`), { timeoutMs: 60_000, intervalMs: 250, what: 'the late result never reached the control plane' })
    await waitUntil(async () => (await service(hostA())).state === 'up', { timeoutMs: SLACK_MS, intervalMs: 250, what: 'host A did not come back up' })
    const after = await server(a2)
    assert.equal(after.status, cutOff.status, 'the late result changed nothing')
    assert.equal(after['OS-EXT-STS:task_state'], null)
    const events = ((await lastAction(a2)).events ?? []).filter((e: any) => e.event.startsWith('compute_'))
    assert.equal(events.length, 1, JSON.stringify(events))
    assert.equal(agentA.child.exitCode, null, 'agent A kept running through the partition')
    // A leases again: a new server on it boots.
    const a3 = await boot('a3', hostA())
    assert.equal((await settled(a3, 60_000)).status, 'ACTIVE')
    t.diagnostic(`partition of A: a2 ${cutOff.status} after the lease, unchanged by the late result; a3 ACTIVE on A after the heal`)
  })
})
