import { startBenchCloud, uploadRawImage } from './lib/cloud.js'
import { latencyLine, note, rateLine, section } from './lib/report.js'
import { createServers, serverIds, sleep } from './lib/servers.js'
import { ms, verdict } from './lib/stats.js'
import { now } from './lib/stats.js'

/** Sizes of the fleet-run bench. */
export interface RescueRunBenchOptions {
  servers: number
  maxInFlight: number
}

/** Issue 17: 200 servers, 20 in flight. */
export const RESCUE_RUN_DEFAULTS: RescueRunBenchOptions = { servers: 200, maxInFlight: 20 }

const FINAL = ['succeeded', 'completed', 'failed', 'cancelled']

/**
 * Issue 17: a fleet run (rescue, run, unrescue) over 200 servers on the fake
 * driver at max-in-flight 20: wall time, servers/s, and the control plane's
 * overhead per server — the fake's script takes no time and the fake driver
 * has no delay, so each server's time from launch to its end is all
 * Lifeboat's (queueing included), and wall time × in-flight / servers is
 * the overhead each server costs.
 */
export async function runRescueRunBench(options: RescueRunBenchOptions = RESCUE_RUN_DEFAULTS): Promise<void> {
  section('Rescue runs (issue 17) — fleet run, fake driver, zero delay, SQLite, HTTP on loopback')
  const cloud = await startBenchCloud()
  try {
    const { demo, admin } = cloud
    const imageId = await uploadRawImage(admin, 'bench-image')
    await createServers(demo, imageId, options.servers, 4, 'fleet')
    const ids = await serverIds(demo)
    note(`${ids.length} ACTIVE servers; script "true" (the fake runs nothing), unrescue always, canary 0`)
    const cpuBefore = process.cpuUsage()
    const start = now()
    const created = await demo.expect(201, 'POST', '/lifeboat/v1/rescue-runs', {
      body: { script: '#!/bin/sh\ntrue\n', servers: { name: '^fleet-' }, max_in_flight: options.maxInFlight, canary: 0, unrescue: 'always' },
    })
    const answered = now() - start
    const id: string = created.body.rescue_run.id
    // The client watches the run's state in the list (counts only, no member read); the members once at the end:
    // polling the whole run (200 servers and their output) ten times a second would bench the poller.
    let state: string = created.body.rescue_run.state
    while (!FINAL.includes(state)) {
      await sleep(100)
      const runs = (await demo.expect(200, 'GET', '/lifeboat/v1/rescue-runs')).body.rescue_runs as Array<{ id: string; state: string }>
      state = runs.find((r) => r.id === id)!.state
    }
    const wall = now() - start
    const cpu = process.cpuUsage(cpuBefore)
    const run = (await demo.expect(200, 'GET', `/lifeboat/v1/rescue-runs/${id}`)).body.rescue_run
    const cpuMs = (cpu.user + cpu.system) / 1000
    const servers = run.servers as Array<{ state: string; started_at: string; finished_at: string; duration_ms: number | null }>
    note(`run ${run.state}: ${JSON.stringify(run.counts)}; POST answered in ${ms(answered)}`)
    note(`wall time ${ms(wall)} for ${servers.length} servers at max-in-flight ${options.maxInFlight}`)
    rateLine('servers per second', (servers.length / wall) * 1000, `${servers.length} servers`)
    const perServer = servers.map((s) => Date.parse(s.finished_at) - Date.parse(s.started_at) - (s.duration_ms ?? 0))
    latencyLine('one server: launch → end (queued at the agent too)', perServer)
    const overhead = wall / servers.length
    note(`overhead per server (wall ÷ servers; the fake's script and driver take no time): ${ms(overhead)}   [goal ≤ 20 ms: ${verdict(overhead, 20)}]`)
    note(`CPU per server (this process: control plane, agent thread and the polling client): ${ms(cpuMs / servers.length)}   [goal ≤ 20 ms: ${verdict(cpuMs / servers.length, 20)}]`)
    note('each server is two tasks (rescue with its run, unrescue) through the agent, which runs 4 tasks at a time')
  } finally {
    await cloud.close()
  }
}
