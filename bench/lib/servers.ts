import type { BenchClient } from './http.js'
import { now } from './stats.js'
import { waitUntil } from '../../test/helpers/wait-until.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Sends `POST /servers`; returns the new id. */
export async function postServer(client: BenchClient, imageId: string, name: string, flavorRef = '1'): Promise<string> {
  const res = await client.expect(202, 'POST', '/compute/v2.1/servers', {
    body: { server: { name, imageRef: imageId, flavorRef, networks: 'none' } },
    microversion: '2.37',
  })
  return res.body.server.id as string
}

/**
 * Polls `GET /servers/{id}` every `pollMs` until the status is `status` with
 * no task_state; returns the time (performance.now) the answer saying so arrived.
 * Throws on ERROR or after `timeoutMs`.
 */
export async function waitForStatus(client: BenchClient, id: string, status: string, pollMs = 1, timeoutMs = 30_000): Promise<number> {
  let last: any
  return waitUntil(async () => {
    const res = await client.request('GET', `/compute/v2.1/servers/${id}`)
    const arrived = now()
    last = res.body?.server
    if (res.status === 200 && last.status === status && last['OS-EXT-STS:task_state'] === null) return arrived
    if (res.status !== 200 || (last.status === 'ERROR' && status !== 'ERROR')) {
      throw new Error(`server ${id} while waiting for ${status}: ${res.status} ${JSON.stringify(last?.fault ?? res.body)}`)
    }
    return undefined
  }, { timeoutMs, intervalMs: pollMs, what: () => `server ${id} did not reach ${status}; last ${last?.status}/${last?.['OS-EXT-STS:task_state']}` })
}

/** Sends a server action; throws unless answered with `expected`. Returns the answer's body. */
export async function serverAction(client: BenchClient, id: string, body: unknown, expected = 202): Promise<any> {
  return (await client.expect(expected, 'POST', `/compute/v2.1/servers/${id}/action`, { body })).body
}

/**
 * Creates `count` servers fast: `POST /servers` with `max_count` batches,
 * `concurrency` requests in flight, then waits (polling the list of BUILD
 * servers every 100 ms, to leave the CPU to the builds) until none is building.
 * Throws when any went to ERROR.
 */
export async function createServers(client: BenchClient, imageId: string, count: number, concurrency: number, prefix: string, batch = 25): Promise<void> {
  const batches: number[] = []
  for (let left = count; left > 0; left -= batch) batches.push(Math.min(batch, left))
  await pool(batches.length, concurrency, async (i) => {
    await client.expect(202, 'POST', '/compute/v2.1/servers', {
      body: { server: { name: `${prefix}-${i}`, imageRef: imageId, flavorRef: '1', networks: 'none', min_count: batches[i], max_count: batches[i] } },
      microversion: '2.37',
    })
  })
  const deadline = now() + 120_000
  while (now() < deadline) {
    const building = await client.expect(200, 'GET', '/compute/v2.1/servers?status=BUILD&limit=1')
    if (building.body.servers.length === 0) break
    await sleep(100)
  }
  const errors = await client.expect(200, 'GET', '/compute/v2.1/servers?status=ERROR&limit=1')
  if (errors.body.servers.length > 0) throw new Error(`a server went to ERROR while filling (${errors.body.servers[0].id})`)
}

/** The ids of the caller's servers (up to 1,000). */
export async function serverIds(client: BenchClient): Promise<string[]> {
  return (await client.expect(200, 'GET', '/compute/v2.1/servers')).body.servers.map((s: { id: string }) => s.id)
}

/** Runs `count` jobs with `concurrency` workers. */
export async function pool(count: number, concurrency: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) await job(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

export { sleep }
