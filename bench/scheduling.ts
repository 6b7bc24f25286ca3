import path from 'node:path'
import { startComputeAgent, type ComputeAgent } from '../src/agent/compute-agent.js'
import { FakeDriver } from '../src/virt/fake/fake-driver.js'
import { startBenchCloud, uploadRawImage } from './lib/cloud.js'
import { note, rateLine, section } from './lib/report.js'
import { createServers } from './lib/servers.js'
import { now } from './lib/stats.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

/** Sizes of the scheduling bench. */
export interface SchedulingBenchOptions {
  servers: number
  hosts: number
}

/** Issue 16: 1,000 servers over 10 fake-driver agents. */
export const SCHEDULING_DEFAULTS: SchedulingBenchOptions = { servers: 1000, hosts: 10 }

/**
 * Issue 16: servers per second scheduled (POST → ACTIVE) over many
 * fake-driver agents registered like remote hosts (each its own agent over
 * the agent API, in this process), then whether placement agrees with the
 * servers: each provider's usages equal the sum of its live servers' flavors.
 */
export async function runSchedulingBench(options: SchedulingBenchOptions = SCHEDULING_DEFAULTS): Promise<void> {
  section(`Scheduling (issue 16) — ${options.servers} servers over ${options.hosts} fake-driver agents, zero delay, SQLite`)
  const cloud = await startBenchCloud({}, { embeddedAgent: false })
  const agents: ComputeAgent[] = []
  try {
    const providers = new Map<string, string>()
    for (let i = 0; i < options.hosts; i++) {
      const host = `bench-host-${String(i).padStart(2, '0')}`
      const credential = await cloud.running.services.agents.issueCredential(host)
      const driver = new FakeDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 64, memoryMb: 65536, diskGb: 2000 })
      agents.push(await startComputeAgent({ controlUrl: cloud.running.url, host, credential, driver, stateDir: path.join(cloud.dataDir, host), log: quiet }))
      const row = await cloud.running.database.db.selectFrom('compute_services').select('id').where('host', '=', host).executeTakeFirstOrThrow()
      providers.set(host, row.id)
    }
    const imageId = await uploadRawImage(cloud.admin, 'bench-image')
    const start = now()
    await createServers(cloud.demo, imageId, options.servers, 4, 'sched')
    const seconds = (now() - start) / 1000
    rateLine('POST /servers (max_count 25, 4 in flight) → ACTIVE', options.servers / seconds, `${options.servers} in ${seconds.toFixed(1)} s`)

    const db = cloud.running.database.db
    const rows = await db.selectFrom('instances').select(['host', 'flavor']).where('deleted', '=', 0).where('host', 'is not', null).execute()
    const perHost: string[] = []
    let consistent = true
    for (const [host, provider] of providers) {
      const mine = rows.filter((r) => r.host === host).map((r) => JSON.parse(r.flavor) as { vcpus: number; ram: number; disk: number })
      const expected = { VCPU: mine.reduce((n, f) => n + f.vcpus, 0), MEMORY_MB: mine.reduce((n, f) => n + f.ram, 0), DISK_GB: mine.reduce((n, f) => n + f.disk, 0) }
      const usages = await cloud.running.services.placement.getProviderUsages(provider)
      const ok = Object.entries(expected).every(([rc, amount]) => (usages.usages[rc] ?? 0) === amount)
      if (!ok) consistent = false
      perHost.push(`${mine.length}`)
    }
    note(`servers per host: ${perHost.join(' ')} (Nova's RAM, disk and CPU weighers spread them)`)
    note(`placement after: ${consistent ? 'consistent' : 'INCONSISTENT'} — every provider's usages ${consistent ? '=' : '≠'} the sum of its live servers' flavors`)
  } finally {
    for (const agent of agents) await agent.stop()
    await cloud.close()
  }
}
