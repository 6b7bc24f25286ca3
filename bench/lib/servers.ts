import type { BenchClient } from './http.js'
import { now } from './stats.js'

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
  const deadline = now() + timeoutMs
  let last: any
  while (now() < deadline) {
    const res = await client.request('GET', `/compute/v2.1/servers/${id}`)
    const arrived = now()
    last = res.body?.server
    if (res.status === 200 && last.status === status && last['OS-EXT-STS:task_state'] === null) return arrived
    if (res.status !== 200 || (last.status === 'ERROR' && status !== 'ERROR')) {
      throw new Error(`server ${id} while waiting for ${status}: ${res.status} ${JSON.stringify(last?.fault ?? res.body)}`)
    }
    if (pollMs > 0) await sleep(pollMs)
  }
  throw new Error(`server ${id} did not reach ${status}; last ${last?.status}/${last?.['OS-EXT-STS:task_state']}`)
}

/** Sends a server action; throws unless answered with `expected`. Returns the answer's body. */
export async function serverAction(client: BenchClient, id: string, body: unknown, expected = 202): Promise<any> {
  return (await client.expect(expected, 'POST', `/compute/v2.1/servers/${id}/action`, { body })).body
}

/** Creates `count` servers with `concurrency` in flight and waits until each is ACTIVE; returns their ids. */
export async function createServers(client: BenchClient, imageId: string, count: number, concurrency: number, prefix: string): Promise<string[]> {
  const ids: string[] = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const index = next++
      const id = await postServer(client, imageId, `${prefix}-${index}`)
      await waitForStatus(client, id, 'ACTIVE', 10, 120_000)
      ids.push(id)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return ids
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
