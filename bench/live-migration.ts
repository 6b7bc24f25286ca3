import fs from 'node:fs'
import path from 'node:path'
import type { BenchClient } from './lib/http.js'
import { startHostProcesses } from './lib/host-processes.js'
import { note, section } from './lib/report.js'
import { serverAction, sleep, waitForStatus } from './lib/servers.js'
import { ms, now, summarize, verdict } from './lib/stats.js'
import { qemuSkipReason } from './qemu-rescue.js'
import { waitUntil } from '../test/helpers/wait-until.js'

const RUNS = Number(process.env.LIFEBOAT_BENCH_LIVE_MIGRATIONS ?? 3)
const MEMORY_MB = 128
const BOOT_TIMEOUT_MS = 180_000
const MIGRATION_TIMEOUT_MS = 180_000
const HOSTS = ['bench-host-a', 'bench-host-b'] as const
/**
 * The agents' guest egress (LIFEBOAT_GUEST_EGRESS): `nat`, the default a user runs, by default
 * (the streams go through the agents' relays); LIFEBOAT_BENCH_LIVE_EGRESS=open measures QEMU
 * without a namespace.
 */
const EGRESS = process.env.LIFEBOAT_BENCH_LIVE_EGRESS ?? 'nat'
/** The goals: the guest paused at most this long (QMP `query-migrate` `downtime`) … */
const PAUSE_GOAL_MS = 300
/** … and the whole move, `os-migrateLive` to ACTIVE on the other host, at most this long. */
const TOTAL_GOAL_MS = 10_000

/** One live migration as measured. */
interface Measured {
  /** POST os-migrateLive → the API shows the server ACTIVE with no task on the other host. */
  apiMs: number
  /** The source agent's figure: first drive-mirror → `query-migrate` completed. */
  transferMs: number
  /** QEMU's own `downtime` of the migration: how long the guest was paused. */
  downtimeMs: number
}

/** The source agent's log line for `id` (`server X live-migrated in N ms, paused M ms`), after `from` characters of its output. */
function agentFigures(output: string, from: number, id: string): { transferMs: number; downtimeMs: number } | undefined {
  const match = new RegExp(`server ${id} live-migrated in (\\d+) ms, paused (\\d+|\\?) ms`).exec(output.slice(from))
  if (!match) return undefined
  return { transferMs: Number(match[1]), downtimeMs: match[2] === '?' ? Number.NaN : Number(match[2]) }
}

/** What a failed migration left: its row's status and the agents' warnings and errors about the server. */
async function whyNot(admin: BenchClient, id: string, agentOutputs: string[]): Promise<string> {
  const migrations = (await admin.request('GET', `/compute/v2.1/os-migrations?instance_uuid=${id}`, { microversion: '2.59' })).body?.migrations ?? []
  const lines = agentOutputs.flatMap((out) => out.split('\n')).filter((l) => l.includes(id) && /warn|error|fail/i.test(l))
  return `migration ${JSON.stringify(migrations[0]?.status)}; ${lines.slice(-4).join(' | ').slice(0, 2000)}`
}

async function hostOf(admin: BenchClient, id: string): Promise<string> {
  return (await admin.expect(200, 'GET', `/compute/v2.1/servers/${id}`)).body.server['OS-EXT-SRV-ATTR:host'] as string
}

/** QEMU processes outlive their agent by design: stop whatever a failed run left behind. */
async function stopLeftoverGuests(stateDir: string): Promise<void> {
  if (!fs.existsSync(stateDir)) return
  const { QemuDriver } = await import('../src/virt/qemu/qemu-driver.js')
  const driver = new QemuDriver({ stateDir, machineType: 'pc' })
  for (const domain of await driver.listDomains()) await driver.destroy(domain.instanceId).catch(() => undefined)
}

function line(label: string, values: number[], goal?: number): void {
  const s = summarize(values)
  const goalText = goal === undefined ? '' : `   [goal ≤ ${ms(goal)}: ${verdict(s.median, goal)}]`
  note(`${label.padEnd(58)} median ${ms(s.median).padStart(9)}  (${ms(s.min)} – ${ms(s.max)})${goalText}`)
}

/**
 * Issue 16: live migration of a 128 MiB TCG test guest between two agents
 * on this machine — `lifeboat control` and two `lifeboat agent` processes
 * (QEMU driver, both on 127.0.0.1), as an operator runs them; the guest's
 * local disk is block-migrated (drive-mirror over NBD) and its RAM sent with
 * QEMU's migration stream. Back and forth RUNS times; prints the total time
 * and the guest's pause next to the goals. Nothing asserts.
 */
export async function runLiveMigrationBench(): Promise<void> {
  section(`Live migration (issue 16) — a ${MEMORY_MB} MiB TCG guest between two agent processes on this machine, block migration`)
  const skip = await qemuSkipReason()
  if (skip) {
    note(`skipped: ${skip}`)
    return
  }
  const { buildImages } = await import('../src/virt/qemu/guest-image/build-images.js')
  const buildStart = now()
  const images = await buildImages()
  note(`guest images ${images.cached ? 'reused from the cache' : 'built'} in ${ms(now() - buildStart)} (${images.dir})`)

  const hosts = await startHostProcesses([...HOSTS], 'qemu', { LIFEBOAT_GUEST_EGRESS: EGRESS })
  let serverId: string | undefined
  try {
    const { admin } = hosts
    note(`lifeboat control (SQLite, ${hosts.url}) and agents ${HOSTS.join(', ')} (QEMU driver, --host-ip 127.0.0.1, guest egress ${EGRESS}), each its own process`)
    const image = await admin.expect(201, 'POST', '/image/v2/images', {
      body: { name: 'bench-live-guest', disk_format: 'qcow2', container_format: 'bare', visibility: 'public' },
    })
    await admin.expect(204, 'PUT', `/image/v2/images/${image.body.id}/file`, { rawBody: fs.readFileSync(images.guest) })
    const flavor = await admin.expect(200, 'POST', '/compute/v2.1/flavors', {
      body: { flavor: { name: 'bench-live', ram: MEMORY_MB, vcpus: 1, disk: 1 } },
    })
    const bootStart = now()
    const created = await admin.expect(202, 'POST', '/compute/v2.1/servers', {
      body: { server: { name: 'bench-live', imageRef: image.body.id, flavorRef: flavor.body.flavor.id, networks: 'none', availability_zone: `nova:${HOSTS[0]}` } },
      microversion: '2.37',
    })
    serverId = created.body.server.id as string
    const id = serverId
    await waitForStatus(admin, id, 'ACTIVE', 200, BOOT_TIMEOUT_MS)
    await waitUntil(async () => /LB-MARKER-DONE role=guest/.test((await serverAction(admin, id, { 'os-getConsoleOutput': {} }, 200)).output as string),
      { timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 500, what: `the guest ${id} never finished booting` })
    note(`boot on ${HOSTS[0]}: POST /servers → guest's LB-MARKER-DONE in ${ms(now() - bootStart)}`)

    const runs: Measured[] = []
    for (let i = 0; i < RUNS; i++) {
      const source = await hostOf(admin, id)
      const destination = HOSTS.find((h) => h !== source)!
      const sourceAgent = hosts.agents.get(source)!
      const mark = sourceAgent.stdout().length
      const started = now()
      await admin.expect(202, 'POST', `/compute/v2.1/servers/${id}/action`, {
        body: { 'os-migrateLive': { host: destination, block_migration: true } }, microversion: '2.30',
      })
      await sleep(200)
      await waitForStatus(admin, id, 'ACTIVE', 100, MIGRATION_TIMEOUT_MS)
      const apiMs = now() - started
      const arrived = await hostOf(admin, id)
      if (arrived !== destination) throw new Error(`live migration ${i + 1} left the server on ${arrived}, not ${destination}: ${await whyNot(admin, id, [...hosts.agents.values()].map((a) => a.stdout()))}`)
      const figures = await waitUntil(() => agentFigures(sourceAgent.stdout(), mark, id),
        { timeoutMs: 10_000, intervalMs: 100, what: `agent ${source} logged no figures for the migration` })
      runs.push({ apiMs, ...figures })
      note(`  ${i + 1}. ${source} → ${destination}: whole ${ms(apiMs)}, transfer ${ms(figures.transferMs)}, guest paused ${ms(figures.downtimeMs)}`)
    }
    note(`${RUNS} live migrations (median, min–max):`)
    line('  guest paused (QMP query-migrate downtime)', runs.map((r) => r.downtimeMs), PAUSE_GOAL_MS)
    line('  total: os-migrateLive → ACTIVE on the other host', runs.map((r) => r.apiMs), TOTAL_GOAL_MS)
    line('  of which the transfer (disk mirror + RAM, source agent)', runs.map((r) => r.transferMs))
    line('  of which Lifeboat and the destination\'s start', runs.map((r) => r.apiMs - r.transferMs))
  } finally {
    if (serverId) {
      await hosts.admin.request('DELETE', `/compute/v2.1/servers/${serverId}`).catch(() => undefined)
      await waitUntil(async () => (await hosts.admin.request('GET', `/compute/v2.1/servers/${serverId}`)).status === 404,
        { timeoutMs: 60_000, intervalMs: 250, what: 'the server was not deleted' }).catch(() => undefined)
    }
    await hosts.stop()
    for (const host of HOSTS) await stopLeftoverGuests(path.join(hosts.stateDirOf(host), 'qemu'))
    hosts.remove()
  }
}
