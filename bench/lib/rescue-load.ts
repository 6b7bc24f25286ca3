import { BenchClient } from './http.js'
import { serverAction } from './servers.js'
import { now } from './stats.js'
import { StatusWatcher } from './watcher.js'

/** Latencies (ms) of rescue+unrescue cycles. */
export interface CycleSamples {
  rescueAnswer: number[]
  unrescueAnswer: number[]
  toRescue: number[]
  toActive: number[]
}

export const emptySamples = (): CycleSamples => ({ rescueAnswer: [], unrescueAnswer: [], toRescue: [], toActive: [] })

/** What a concurrent load run is given: plain data, so that it can run in another thread. */
export interface ConcurrentCyclesInput {
  url: string
  token: string
  ids: string[]
  concurrency: number
  seconds: number
}

/**
 * `concurrency` clients each cycle their own share of the servers (rescue,
 * wait for RESCUE, unrescue, wait for ACTIVE) for `seconds`; one watcher
 * polls the status for everyone.
 */
export async function runConcurrentCycles(input: ConcurrentCyclesInput): Promise<{ samples: CycleSamples; polls: number; seconds: number }> {
  const client = new BenchClient(input.url, input.token)
  const samples = emptySamples()
  const watcher = new StatusWatcher(client, 2)
  watcher.start()
  const deadline = now() + input.seconds * 1000
  const perClient = Math.ceil(input.ids.length / input.concurrency)
  const begin = now()
  try {
    await Promise.all(Array.from({ length: input.concurrency }, async (_, w) => {
      const mine = input.ids.slice(w * perClient, (w + 1) * perClient)
      for (let i = 0; now() < deadline; i++) {
        const id = mine[i % mine.length]!
        const start = now()
        const rescued = watcher.waitFor(id, 'RESCUE')
        await serverAction(client, id, { rescue: {} }, 200)
        samples.rescueAnswer.push(now() - start)
        samples.toRescue.push((await rescued) - start)
        const back = now()
        const active = watcher.waitFor(id, 'ACTIVE')
        await serverAction(client, id, { unrescue: null }, 202)
        samples.unrescueAnswer.push(now() - back)
        samples.toActive.push((await active) - back)
      }
    }))
  } finally {
    await watcher.stop()
    client.close()
  }
  return { samples, polls: watcher.polls, seconds: (now() - begin) / 1000 }
}
