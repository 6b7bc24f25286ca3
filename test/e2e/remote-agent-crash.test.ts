import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import YAML from 'yaml'
import { login, type Session } from '../helpers/cloud.js'
import { freePort, killHard, runLifeboat, spawnLifeboat, waitAnswering, type WatchedProcess } from '../helpers/lifeboat-process.js'
import { POSTGRES_AVAILABLE, createTestDatabase } from '../helpers/postgres.js'
import { waitUntil } from '../helpers/wait-until.js'

/** Short thresholds (config file knobs), so that expiry and "down" happen within the test. */
const LEASE_SECONDS = 10
const SERVICE_DOWN_SECONDS = 6
/** The fake driver's delay per operation: long enough that tasks are in flight when a process dies. */
const SLOW_MS = 2500
const HOST = 'remote-1'
/** How long "settled" may take beyond a lease period (process starts on a busy 2-core machine). */
const SLACK_MS = 20_000
const COMPUTE = '/compute/v2.1'

/** What each server action asks for, and the status it leaves when it succeeds ('gone' for a delete). */
const TARGET: Record<string, string> = { rescue: 'RESCUE', unrescue: 'ACTIVE', 'os-stop': 'SHUTOFF', 'os-start': 'ACTIVE', reboot: 'ACTIVE', delete: 'gone', create: 'ACTIVE' }

/** One action driven at a server: what it was, where the server was before, and whether its task ran when the process died. */
interface Driven {
  server: string
  action: string
  before: string
  inFlight: boolean
}

/** A control plane and one remote agent as separate `lifeboat` processes, on one data folder and database. */
class Cloud {
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-remote-crash-'))
  readonly agentDir = path.join(this.dataDir, 'agent-host')
  readonly configFile = path.join(this.dataDir, 'lifeboat.yaml')
  readonly credentialFile = path.join(this.dataDir, 'agent-credential')
  port = 0
  control: WatchedProcess | null = null
  agent: WatchedProcess | null = null
  admin!: Session
  imageId = ''

  constructor(readonly databaseUrl: string) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`
  }

  #env(): Record<string, string> {
    return { LIFEBOAT_DATA_DIR: this.dataDir, LIFEBOAT_CONFIG: this.configFile, LIFEBOAT_PORT: String(this.port), ...(this.databaseUrl ? { LIFEBOAT_DATABASE_URL: this.databaseUrl } : {}) }
  }

  async startControl(): Promise<void> {
    this.control = await spawnLifeboat(['control'], this.#env())
    await waitAnswering(this.control, this.port)
    const clouds = YAML.parse(fs.readFileSync(path.join(this.dataDir, 'clouds.yaml'), 'utf8'))
    this.admin = await login(this.base, 'admin', clouds.clouds['lifeboat-admin'].auth.password, 'admin')
  }

  async startAgent(delayMs: number): Promise<void> {
    if (this.agent) await killHard(this.agent.child)
    const args = ['agent', '--control-url', this.base, '--host', HOST, '--credential-file', this.credentialFile, '--state-dir', this.agentDir, '--driver', 'fake']
    const agent = await spawnLifeboat(args, { LIFEBOAT_FAKE_DELAY_MS: String(delayMs), LIFEBOAT_LOG_LEVEL: 'info' })
    this.agent = agent
    await waitUntil(() => {
      if (agent.child.exitCode !== null) throw new Error(`the agent exited: ${agent.stderr()}`)
      return agent.stdout().includes(`compute agent ${HOST} registered`)
    }, { timeoutMs: 30_000, intervalMs: 50, what: () => `the agent did not register: ${agent.stdout()} ${agent.stderr()}` })
  }

  async start(): Promise<void> {
    this.port = await freePort()
    fs.writeFileSync(this.configFile, YAML.stringify({ agent: { leaseSeconds: LEASE_SECONDS }, compute: { serviceDownSeconds: SERVICE_DOWN_SECONDS } }))
    await this.startControl()
    const issued = await runLifeboat(['agent-credential', HOST], this.#env())
    assert.equal(issued.code, 0, issued.stderr)
    fs.writeFileSync(this.credentialFile, issued.stdout.trim(), { mode: 0o600 })
    await this.startAgent(SLOW_MS)
    const image = await this.admin.request('POST', '/image/v2/images', { body: { name: 'base', disk_format: 'raw', container_format: 'bare' } })
    const upload = await this.admin.request('PUT', `/image/v2/images/${image.body.id}/file`, { rawBody: Buffer.alloc(64 * 1024), contentType: 'application/octet-stream' })
    assert.equal(upload.status, 204, upload.text)
    this.imageId = image.body.id
  }

  async stop(): Promise<void> {
    for (const run of [this.agent, this.control]) if (run) await killHard(run.child)
    fs.rmSync(this.dataDir, { recursive: true, force: true })
  }

  /** Boots a server (its spawn runs on the agent); the id. */
  async create(name: string): Promise<string> {
    const res = await this.admin.request('POST', `${COMPUTE}/servers`, { body: { server: { name, imageRef: this.imageId, flavorRef: '1' } } })
    assert.equal(res.status, 202, res.text)
    return res.body.server.id
  }

  async server(id: string): Promise<any | null> {
    const res = await this.admin.request('GET', `${COMPUTE}/servers/${id}`)
    if (res.status === 404) return null
    assert.equal(res.status, 200, res.text)
    return res.body.server
  }

  /** The server's newest instance action with its events (null once the server is gone). */
  async lastAction(id: string): Promise<any | null> {
    const list = await this.admin.request('GET', `${COMPUTE}/servers/${id}/os-instance-actions`)
    if (list.status === 404) return null
    const newest = list.body.instanceActions[0]
    const shown = await this.admin.request('GET', `${COMPUTE}/servers/${id}/os-instance-actions/${newest.request_id}`)
    return shown.status === 404 ? null : shown.body.instanceAction
  }

  /** Queued and leased tasks, from the operator's metrics. */
  async openTasks(): Promise<number> {
    const res = await this.admin.request('GET', '/metrics')
    assert.equal(res.status, 200, res.text)
    return [...res.text.matchAll(/^lifeboat_tasks\{[^}]*status="(?:queued|leased)"[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
  }

  /** The remote host's row in os-services. */
  async service(): Promise<any> {
    const res = await this.admin.request('GET', `${COMPUTE}/os-services?host=${HOST}`)
    assert.equal(res.status, 200, res.text)
    return res.body.services[0]
  }
}

/** The action a server in `status` gets (an ACTIVE one by its position). */
function actionFor(status: string, index: number): string {
  if (status === 'RESCUE') return 'unrescue'
  if (status === 'SHUTOFF') return 'os-start'
  if (status === 'ERROR') return 'delete'
  return ['rescue', 'os-stop', 'reboot'][index % 3]!
}

/** Sends each action; waits until the agent runs as many of their tasks as it can at once (4) and says which run. */
async function drive(cloud: Cloud, plan: Array<{ server: string | null; action: string }>): Promise<Driven[]> {
  const driven: Driven[] = []
  for (const step of plan) {
    if (step.action === 'create') {
      driven.push({ server: await cloud.create('crash'), action: 'create', before: 'BUILD', inFlight: false })
      continue
    }
    const server = await cloud.server(step.server!)
    const res = step.action === 'delete'
      ? await cloud.admin.request('DELETE', `${COMPUTE}/servers/${step.server}`)
      : await cloud.admin.request('POST', `${COMPUTE}/servers/${step.server}/action`, { body: { [step.action]: step.action === 'reboot' ? { type: 'HARD' } : null } })
    assert.ok(res.status === 202 || res.status === 204 || res.status === 200, `${step.action}: ${res.status} ${res.text}`)
    driven.push({ server: step.server!, action: step.action, before: server.status, inFlight: false })
  }
  const expected = Math.min(driven.length, 4)
  await waitUntil(async () => {
    for (const d of driven) {
      const action = await cloud.lastAction(d.server)
      d.inFlight = (action?.events ?? []).some((e: any) => e.event.startsWith('compute_') && !e.finish_time)
    }
    return driven.filter((d) => d.inFlight).length >= expected
  }, { timeoutMs: 30_000, intervalMs: 100, what: () => `the agent did not start the tasks: ${JSON.stringify(driven)}` })
  return driven
}

/**
 * How each driven action ended: done (its action succeeded and the server is where it asked), reverted (its
 * action failed and the server is back where it was, or ERROR), anything else is stuck or inconsistent.
 */
async function outcomes(cloud: Cloud, driven: Driven[]): Promise<Array<Driven & { outcome: string; status: string }>> {
  const out = []
  for (const d of driven) {
    const server = await cloud.server(d.server)
    const status = server ? server.status : 'gone'
    const taskState = server?.['OS-EXT-STS:task_state'] ?? null
    const failed = server ? (await cloud.lastAction(d.server))?.message === 'Error' : false
    let outcome = 'inconsistent'
    if (taskState !== null) outcome = 'stuck'
    else if (!failed && status === TARGET[d.action]) outcome = 'done'
    else if (failed && (status === d.before || status === 'ERROR')) outcome = 'reverted'
    out.push({ ...d, outcome, status: `${status}/${taskState}` })
  }
  return out
}

/** Waits until no server is in a task state (or BUILD) and no task is queued or leased. */
async function settled(cloud: Cloud, timeoutMs: number): Promise<void> {
  let last = ''
  await waitUntil(async () => {
    const res = await cloud.admin.request('GET', `${COMPUTE}/servers/detail?all_tenants=1`)
    assert.equal(res.status, 200, 'the API answers while tasks are stranded')
    const busy = (res.body.servers as any[]).filter((s) => s['OS-EXT-STS:task_state'] !== null || s.status === 'BUILD')
    const open = await cloud.openTasks()
    last = `${busy.map((s) => `${s.id} ${s.status}/${s['OS-EXT-STS:task_state']}`).join(', ')}; ${open} tasks open`
    return busy.length === 0 && open === 0
  }, { timeoutMs, intervalMs: 250, what: () => `not settled: ${last}` })
}

function summary(results: Array<{ action: string; inFlight: boolean; outcome: string; before: string; status: string }>): string {
  const killed = results.filter((r) => r.inFlight).length
  const counts = results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.outcome]: (acc[r.outcome] ?? 0) + 1 }), {})
  return `${results.length} tasks, ${killed} in flight at the kill; outcomes ${JSON.stringify(counts)}: ${results.map((r) => `${r.action}${r.inFlight ? '*' : ''}=${r.outcome} (${r.before} -> ${r.status})`).join(' ')}`
}

/**
 * `lifeboat control` and a separate `lifeboat agent` (fake driver, slowed down), on SQLite and on PostgreSQL
 * when one answers. Tasks (boot, rescue, unrescue, stop, start, reboot, delete) are driven until the agent runs
 * them, then a process is killed -9: the agent (restarted, then not), and the control plane (for less and for
 * more than a lease). Each phase reports its figures (tasks in flight at the kill, outcomes) as a diagnostic.
 */
const backends = [{ name: 'SQLite', postgres: false }, ...(POSTGRES_AVAILABLE ? [{ name: 'PostgreSQL', postgres: true }] : [])]

for (const backend of backends) {
  describe(`kill -9 of a remote agent and of the control plane (${backend.name})`, { timeout: 240_000 }, () => {
    let cloud: Cloud
    let dropDatabase: (() => Promise<void>) | null = null
    let servers: string[] = []

    before(async () => {
      const database = backend.postgres ? await createTestDatabase() : null
      dropDatabase = database ? database.drop : null
      cloud = new Cloud(database?.url ?? '')
      await cloud.start()
      servers = await Promise.all([1, 2, 3, 4].map((n) => cloud.create(`vm-${n}`)))
      await settled(cloud, 60_000)
    })

    after(async () => {
      await cloud?.stop()
      await dropDatabase?.()
    })

    test('agent killed mid-task and restarted: each task is retried to its end, none stays in a task state', async (t) => {
      const plan = [...servers.map((server, i) => ({ server, action: i === 3 ? 'delete' : actionFor('ACTIVE', i) })), { server: null, action: 'create' }]
      const driven = await drive(cloud, plan)
      await killHard(cloud.agent!.child)
      await cloud.startAgent(SLOW_MS)
      await settled(cloud, LEASE_SECONDS * 1000 + SLACK_MS)
      const results = await outcomes(cloud, driven)
      t.diagnostic(summary(results))
      servers = results.filter((r) => r.status !== 'gone/null').map((r) => r.server)
      for (const r of results) assert.ok(r.outcome === 'done' || r.outcome === 'reverted', `${r.action} of ${r.server}: ${r.outcome} ${r.status}`)
    })

    test('agent killed mid-task and not restarted: the tasks end after the lease, the host shows down, the API answers', async (t) => {
      const driven = await drive(cloud, await Promise.all(servers.map(async (server, i) => ({ server, action: actionFor((await cloud.server(server)).status, i) }))))
      await killHard(cloud.agent!.child)
      cloud.agent = null
      await settled(cloud, LEASE_SECONDS * 1000 + SLACK_MS)
      const results = await outcomes(cloud, driven)
      t.diagnostic(summary(results))
      for (const r of results) assert.equal(r.outcome, 'reverted', `${r.action} of ${r.server}: ${r.status} (no agent could have done it)`)
      await waitUntil(async () => (await cloud.service()).state === 'down', { timeoutMs: SERVICE_DOWN_SECONDS * 1000 + SLACK_MS, intervalMs: 250, what: 'the host never showed down' })

      // New work for the dead host ends too: a delete is Nova's local delete, a boot an ERROR with a fault.
      const [victim] = servers
      assert.equal((await cloud.admin.request('DELETE', `${COMPUTE}/servers/${victim}`)).status, 204)
      const booted = await cloud.create('late')
      await settled(cloud, LEASE_SECONDS * 1000 + SLACK_MS)
      assert.equal(await cloud.server(victim!), null, 'the server on the dead host is deleted')
      const late = await cloud.server(booted)
      assert.equal(late.status, 'ERROR')
      assert.ok(late.fault?.message, 'the failed boot has a fault')
      t.diagnostic(`on the dead host: delete -> gone, boot -> ${late.status} (${late.fault.message})`)
      servers = servers.slice(1)
    })

    // Down for less than a lease (the agent's results meet a closed port; its leases still run), then for more
    // (every lease it holds has expired by the clock when the control plane returns).
    for (const [downMs, how] of [[3000, 'shorter'], [LEASE_SECONDS * 1000 + 1000, 'longer']] as const) {
      test(`control plane killed while the agent holds leases, down ${how} than a lease: the agent reconnects, every task reports its end, once`, async (t) => {
        if (!cloud.agent) await cloud.startAgent(SLOW_MS)
        await waitUntil(async () => (await cloud.service()).state === 'up', { timeoutMs: SLACK_MS, intervalMs: 250, what: 'the host is not up' })
        const plan = await Promise.all(servers.map(async (server, i) => ({ server: server as string | null, action: actionFor((await cloud.server(server)).status, i) })))
        const driven = await drive(cloud, [...plan, { server: null, action: 'create' }])
        await killHard(cloud.control!.child)
        await sleep(downMs)
        await cloud.startControl()
        await settled(cloud, LEASE_SECONDS * 1000 + SLACK_MS)
        const results = await outcomes(cloud, driven)
        t.diagnostic(summary(results))
        for (const r of results) {
          assert.equal(r.outcome, 'done', `${r.action} of ${r.server}: ${r.status}`)
          const runs = ((await cloud.lastAction(r.server))?.events ?? []).filter((e: any) => e.event.startsWith('compute_'))
          assert.equal(runs.length, 1, `the ${r.action} of ${r.server} ran once: ${JSON.stringify(runs)}`)
        }
        servers = results.map((r) => r.server)
        // Up again with the agent's next heartbeat (its results may arrive first).
        await waitUntil(async () => (await cloud.service()).state === 'up', { timeoutMs: SLACK_MS, intervalMs: 250, what: 'the host did not show up again' })
        assert.equal(cloud.agent!.child.exitCode, null, 'the agent kept running')
      })
    }
  })
}
