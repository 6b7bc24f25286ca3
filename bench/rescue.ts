import { startBenchCloud, uploadRawImage } from './lib/cloud.js'
import type { BenchClient } from './lib/http.js'
import { latencyLine, note, rateLine, section } from './lib/report.js'
import { createServers, serverAction, serverIds, waitForStatus } from './lib/servers.js'
import { now } from './lib/stats.js'
import { emptySamples, type ConcurrentCyclesInput, type CycleSamples, type runConcurrentCycles } from './lib/rescue-load.js'
import { runInThread } from './lib/in-thread.js'

/** Sizes of the rescue bench. */
export interface RescueBenchOptions {
  servers: number
  sequentialCycles: number
  concurrency: number
  /** How long the concurrent cycle run lasts. */
  cycleSeconds: number
}

/** 50 servers, 100 sequential cycles, then 10 clients for 5 s. */
export const RESCUE_DEFAULTS: RescueBenchOptions = { servers: 50, sequentialCycles: 100, concurrency: 10, cycleSeconds: 5 }

const ANSWER_GOALS = [{ figure: 'median' as const, atMost: 2 }, { figure: 'p99' as const, atMost: 10 }]


/** One rescue + unrescue of `id`, timed. */
async function cycle(client: BenchClient, id: string, into: CycleSamples): Promise<void> {
  const start = now()
  const answer = await serverAction(client, id, { rescue: {} }, 200)
  into.rescueAnswer.push(now() - start)
  if (typeof answer.adminPass !== 'string') throw new Error(`rescue answered without adminPass: ${JSON.stringify(answer)}`)
  into.toRescue.push((await waitForStatus(client, id, 'RESCUE', 1)) - start)
  const back = now()
  await serverAction(client, id, { unrescue: null }, 202)
  into.unrescueAnswer.push(now() - back)
  into.toActive.push((await waitForStatus(client, id, 'ACTIVE', 1)) - back)
}

const empty = emptySamples

/**
 * Issue 6: rescue answer latency at concurrency 1 and 10, POST rescue →
 * RESCUE and unrescue → ACTIVE, and rescue+unrescue cycles per second.
 */
export async function runRescueBench(options: RescueBenchOptions = RESCUE_DEFAULTS): Promise<void> {
  section('Rescue (issue 6) — fake driver, zero delay, SQLite, HTTP on loopback')
  const cloud = await startBenchCloud()
  try {
    const { demo, admin } = cloud
    const imageId = await uploadRawImage(admin, 'bench-image')
    const stableImageId = await uploadRawImage(admin, 'bench-rescue-stable', { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' })
    await createServers(demo, imageId, options.servers, 2, 'rescue')
    const ids = await serverIds(demo)
    note(`${ids.length} ACTIVE servers; legacy rescue with the server's own image unless said`)

    const warm = empty()
    for (const id of ids.slice(0, 5)) await cycle(demo, id, warm)

    const seq = empty()
    for (let i = 0; i < options.sequentialCycles; i++) await cycle(demo, ids[i % ids.length]!, seq)
    note(`concurrency 1: ${options.sequentialCycles} cycles, one request in flight (status polled every ~1 ms)`)
    latencyLine('rescue answer (200), concurrency 1', seq.rescueAnswer, ANSWER_GOALS)
    latencyLine('unrescue answer (202), concurrency 1', seq.unrescueAnswer)
    latencyLine('POST rescue → RESCUE', seq.toRescue, [{ figure: 'median', atMost: 20 }])
    latencyLine('POST unrescue → ACTIVE', seq.toActive)

    const stable = empty()
    for (let i = 0; i < 30; i++) {
      const id = ids[i % ids.length]!
      const start = now()
      await serverAction(demo, id, { rescue: { rescue_image_ref: stableImageId } }, 200)
      stable.rescueAnswer.push(now() - start)
      stable.toRescue.push((await waitForStatus(demo, id, 'RESCUE', 1)) - start)
      await serverAction(demo, id, { unrescue: null }, 202)
      await waitForStatus(demo, id, 'ACTIVE', 1)
    }
    latencyLine('stable rescue (hw_rescue_*) answer, conc. 1', stable.rescueAnswer)
    latencyLine('stable rescue → RESCUE', stable.toRescue)

    const cpuBefore = process.cpuUsage()
    const load = await runInThread<ConcurrentCyclesInput, Awaited<ReturnType<typeof runConcurrentCycles>>>(
      new URL('./lib/rescue-load.ts', import.meta.url), 'runConcurrentCycles',
      { url: cloud.running.url, token: demo.token!, ids, concurrency: options.concurrency, seconds: options.cycleSeconds },
    )
    const cpu = process.cpuUsage(cpuBefore)
    const conc = load.samples
    const elapsed = load.seconds
    const cycles = conc.toActive.length
    const perWorker = Math.ceil(ids.length / options.concurrency)
    note(`concurrency ${options.concurrency}: each client cycles its own ${perWorker} servers for ${options.cycleSeconds} s; one watcher polls; the clients run in their own thread`)
    note(`GET /servers/detail?changes-since every ~2 ms for everyone (${load.polls} polls)`)
    latencyLine(`rescue answer (200), concurrency ${options.concurrency}`, conc.rescueAnswer, ANSWER_GOALS)
    latencyLine(`unrescue answer (202), concurrency ${options.concurrency}`, conc.unrescueAnswer)
    latencyLine(`POST rescue → RESCUE, concurrency ${options.concurrency}`, conc.toRescue)
    latencyLine(`POST unrescue → ACTIVE, concurrency ${options.concurrency}`, conc.toActive)
    rateLine('rescue+unrescue cycles', cycles / elapsed, `${cycles} cycles over ${ids.length} servers in ${elapsed.toFixed(1)} s`, 200)
    note(`process CPU per cycle (server, agent thread, clients' thread and watcher together): ${((cpu.user + cpu.system) / 1000 / Math.max(1, cycles)).toFixed(1)} ms`)
  } finally {
    await cloud.close()
  }
}
