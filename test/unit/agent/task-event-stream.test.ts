import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AgentApiClient } from '../../../src/agent/agent-api-client.js'
import type { TaskEventsRequest } from '../../../src/agent-api/index.js'
import { TaskEventStream } from '../../../src/agent/task-event-stream.js'

/** An agent API whose event posts stay open until released, recording what was sent. */
function recordingApi(options: { fail?: boolean } = {}) {
  const sent: TaskEventsRequest[] = []
  const open: Array<() => void> = []
  const api = {
    events(_taskId: string, request: TaskEventsRequest): Promise<void> {
      sent.push(request)
      return new Promise<void>((resolve, reject) => open.push(() => (options.fail ? reject(new Error('control plane away')) : resolve())))
    },
  } as unknown as AgentApiClient
  const releaseAll = async () => {
    while (open.length > 0) {
      open.shift()!()
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  return { api, sent, releaseAll }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('events go together in one request shortly after they happen, in order; those of a request in flight wait for it', async () => {
  const { api, sent, releaseAll } = recordingApi()
  const stream = new TaskEventStream(api, 'task-1', 'session-1')
  stream.record({ event: 'compute_rescue_instance', phase: 'start' })
  stream.record({ event: 'lifeboat_rescue_choose_image', phase: 'start' })
  stream.record({ event: 'lifeboat_rescue_choose_image', phase: 'finish', result: 'Success' })
  assert.equal(sent.length, 0, 'not one request per event')
  await pause(60)
  assert.equal(sent.length, 1)
  assert.deepEqual(sent[0]!.events.map((e) => [e.event, e.phase]), [['compute_rescue_instance', 'start'], ['lifeboat_rescue_choose_image', 'start'], ['lifeboat_rescue_choose_image', 'finish']])
  assert.equal(sent[0]!.session, 'session-1')
  assert.ok(sent[0]!.events.every((e) => !Number.isNaN(Date.parse(e.at))))
  stream.record({ event: 'lifeboat_rescue_boot', phase: 'start' })
  await pause(60)
  assert.equal(sent.length, 1, 'one request in flight at a time')
  await releaseAll()
  assert.equal(sent.length, 2)
  assert.deepEqual(sent[1]!.events.map((e) => e.event), ['lifeboat_rescue_boot'])
  await releaseAll()
  assert.deepEqual(await stream.drain(), [])
})

test('a quick task sends no event request: its events go with the result', async () => {
  const { api, sent } = recordingApi()
  const stream = new TaskEventStream(api, 'task-1', 'session-1')
  stream.record({ event: 'compute_stop_instance', phase: 'start' })
  stream.record({ event: 'compute_stop_instance', phase: 'finish', result: 'Success' })
  assert.deepEqual((await stream.drain()).map((e) => e.phase), ['start', 'finish'])
  await pause(60)
  assert.equal(sent.length, 0)
})

test('drain waits for the request in flight and hands over what was not sent', async () => {
  const { api, sent, releaseAll } = recordingApi()
  const stream = new TaskEventStream(api, 'task-1', 'session-1')
  stream.record({ event: 'a', phase: 'start' })
  await pause(60)
  stream.record({ event: 'a', phase: 'finish', result: 'Success' })
  let drained: string[] | null = null
  const draining = stream.drain().then((events) => { drained = events.map((e) => `${e.event}:${e.phase}`) })
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(drained, null, 'drain waits while a request is in flight')
  await releaseAll()
  await draining
  // The second event went out when the first request ended, or comes back from drain; never both, never lost.
  const sentEvents = sent.flatMap((r) => r.events.map((e) => `${e.event}:${e.phase}`))
  assert.deepEqual([...sentEvents, ...drained!], ['a:start', 'a:finish'])
})

test('a failed send keeps its events for the task result, in order, and sends nothing more', async () => {
  const { api, sent, releaseAll } = recordingApi({ fail: true })
  const stream = new TaskEventStream(api, 'task-1', 'session-1')
  stream.record({ event: 'a', phase: 'start' })
  await pause(60)
  stream.record({ event: 'a', phase: 'finish', result: 'Error', details: 'boom' })
  await releaseAll()
  await pause(60)
  const left = await stream.drain()
  assert.deepEqual(left.map((e) => `${e.event}:${e.phase}`), ['a:start', 'a:finish'])
  assert.equal(left[1]!.details, 'boom')
  assert.equal(sent.length, 1, 'after a failure the rest waits for the result')
})
