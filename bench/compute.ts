import { startBenchCloud, uploadRawImage } from './lib/cloud.js'
import { latencyLine, note, section } from './lib/report.js'
import { createServers, postServer, serverAction, waitForStatus } from './lib/servers.js'
import { now } from './lib/stats.js'

/** Sizes of the compute bench (the defaults keep it well under a minute). */
export interface ComputeBenchOptions {
  createCount: number
  actionServers: number
  listServers: number
  listRequests: number
}

/** 200 sequential creates, 50 servers per action, 1,000 servers listed 50 times. */
export const COMPUTE_DEFAULTS: ComputeBenchOptions = { createCount: 200, actionServers: 50, listServers: 1000, listRequests: 50 }

const ACTIONS: Array<{ label: string; body: unknown; status: string; answer?: number }> = [
  { label: 'os-stop → SHUTOFF', body: { 'os-stop': null }, status: 'SHUTOFF' },
  { label: 'os-start → ACTIVE', body: { 'os-start': null }, status: 'ACTIVE' },
  { label: 'pause → PAUSED', body: { pause: null }, status: 'PAUSED' },
  { label: 'unpause → ACTIVE', body: { unpause: null }, status: 'ACTIVE' },
  { label: 'reboot SOFT → ACTIVE', body: { reboot: { type: 'SOFT' } }, status: 'ACTIVE' },
  { label: 'reboot HARD → ACTIVE', body: { reboot: { type: 'HARD' } }, status: 'ACTIVE' },
  // m1.tiny → m1.nano: the same disk, less RAM, so no quota or host room is needed for 50 of them.
  { label: 'resize → VERIFY_RESIZE', body: { resize: { flavorRef: '42' } }, status: 'VERIFY_RESIZE' },
  { label: 'confirmResize → ACTIVE', body: { confirmResize: null }, status: 'ACTIVE', answer: 204 },
]

/**
 * Issue 5: POST /servers → ACTIVE, action round-trips and GET /servers/detail
 * with 1,000 servers, on the fake driver with zero delay over SQLite.
 */
export async function runComputeBench(options: ComputeBenchOptions = COMPUTE_DEFAULTS): Promise<void> {
  section('Compute (issue 5) — fake driver, zero delay, SQLite, HTTP on loopback')
  const cloud = await startBenchCloud()
  try {
    const { demo, admin } = cloud
    const imageId = await uploadRawImage(admin, 'bench-image')

    // Warm-up: JIT, image cache on the agent, prepared statements.
    for (let i = 0; i < 5; i++) await waitForStatus(demo, await postServer(demo, imageId, `warm-${i}`), 'ACTIVE')

    const toActive: number[] = []
    const answers: number[] = []
    const created: string[] = []
    const cpuBefore = process.cpuUsage()
    for (let i = 0; i < options.createCount; i++) {
      const start = now()
      const id = await postServer(demo, imageId, `bench-${i}`)
      answers.push(now() - start)
      toActive.push((await waitForStatus(demo, id, 'ACTIVE', 1)) - start)
      created.push(id)
    }
    const cpu = process.cpuUsage(cpuBefore)
    note('one server at a time; ACTIVE seen by polling GET /servers/{id} every ~1 ms')
    note(`process CPU per create → ACTIVE (server, agent, bench client and its polls): ${((cpu.user + cpu.system) / 1000 / options.createCount).toFixed(1)} ms`)
    latencyLine('POST /servers answer (202)', answers)
    latencyLine('POST /servers → ACTIVE', toActive, [{ figure: 'median', atMost: 20 }])

    note(`action round-trips: POST action → status seen (task_state null), ${options.actionServers} servers each`)
    // Rebuild (issue 15): destroy and spawn again from the image, through rebuild_block_device_mapping and rebuild_spawning.
    const rebuild: (typeof ACTIONS)[number] = { label: 'rebuild → ACTIVE', body: { rebuild: { imageRef: imageId } }, status: 'ACTIVE' }
    for (const act of [...ACTIONS, rebuild]) {
      const samples: number[] = []
      for (const id of created.slice(0, options.actionServers)) {
        const start = now()
        await serverAction(demo, id, act.body, act.answer)
        samples.push((await waitForStatus(demo, id, act.status, 1)) - start)
      }
      latencyLine(act.label, samples)
    }

    const existing = created.length + 5
    const missing = Math.max(0, options.listServers - existing)
    const fillStart = now()
    await createServers(demo, imageId, missing, 4, 'fill')
    const fillSeconds = (now() - fillStart) / 1000
    note(`filled up to ${options.listServers} servers: ${missing} created (POST with max_count 25, 4 in flight) in ${fillSeconds.toFixed(1)} s → ${(missing / fillSeconds).toFixed(0)} servers/s to ACTIVE`)

    for (const [label, client, microversion] of [
      ['demo, microversion 2.1', demo, '2.1'],
      ['demo, microversion 2.87', demo, '2.87'],
      ['admin, all_tenants, 2.87', admin, '2.87'],
    ] as const) {
      const path = `/compute/v2.1/servers/detail${client === admin ? '?all_tenants=1' : ''}`
      for (let i = 0; i < 3; i++) await client.expect(200, 'GET', path, { microversion })
      const samples: number[] = []
      let count = 0
      let size = 0
      for (let i = 0; i < options.listRequests; i++) {
        const start = now()
        const res = await client.expect(200, 'GET', path, { microversion })
        samples.push(now() - start)
        count = res.body.servers.length
        size = res.size
      }
      latencyLine(`GET /servers/detail (${label}) ${count} servers, ${(size / 1024).toFixed(0)} KiB`, samples, [{ figure: 'median', atMost: 50 }])
    }
  } finally {
    await cloud.close()
  }
}
