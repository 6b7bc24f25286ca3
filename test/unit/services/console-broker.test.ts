import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConsoleBroker } from '../../../src/services/consoles/console-broker.js'

type Stream = { id: string; close(): void }
const stream = (id: string): Stream => ({ id, close: () => undefined })

test('a request is served once, to its own host\'s long poll, and claimed once by that host', async () => {
  const broker = new ConsoleBroker<Stream>()
  const pending = broker.request('host-a', 'inst-1', 'serial')
  assert.deepEqual(await broker.take('host-b', 0), [])
  assert.deepEqual(await broker.take('host-a', 0), [{ sessionId: pending.sessionId, instanceUuid: 'inst-1', console: 'serial' }])
  assert.deepEqual(await broker.take('host-a', 0), [])
  assert.equal(broker.claim('host-b', pending.sessionId), null, 'another host cannot claim it')
  const claimed = broker.claim('host-a', pending.sessionId)
  assert.ok(claimed)
  assert.equal(broker.claim('host-a', pending.sessionId), null, 'claimed once')
  assert.equal(claimed.deliver(stream('s1')), true)
  assert.equal((await pending.stream)?.id, 's1')
  assert.equal(broker.pendingCount, 0)
  broker.close()
})

test('a long poll wakes when a request for its host comes, and returns empty at its deadline', async () => {
  const broker = new ConsoleBroker<Stream>()
  const waiting = broker.take('host-a', 5_000)
  broker.request('host-b', 'other', 'vnc')
  const pending = broker.request('host-a', 'inst-1', 'vnc')
  assert.deepEqual((await waiting).map((r) => r.sessionId), [pending.sessionId])
  assert.deepEqual(await broker.take('host-c', 20), [])
  broker.close()
})

test('an aborted long poll returns at once, and a closed broker ends every wait', async () => {
  const broker = new ConsoleBroker<Stream>()
  const hungUp = new AbortController()
  const waiting = broker.take('host-a', 60_000, hungUp.signal)
  hungUp.abort()
  assert.deepEqual(await waiting, [])
  const pending = broker.request('host-a', 'inst', 'serial')
  const polling = broker.take('host-z', 60_000)
  broker.close()
  assert.equal(await pending.stream, null)
  assert.deepEqual(await polling, [])
  assert.equal(await broker.request('host-a', 'inst', 'serial').stream, null, 'no request after close')
})

test('a request nobody dials back for settles null after the timeout; a late or cancelled one cannot be delivered', async () => {
  const broker = new ConsoleBroker<Stream>(30)
  // The broker's timers do not hold the process open: this one does, for the test.
  const keepAlive = setTimeout(() => undefined, 1000)
  const late = broker.request('host-a', 'inst', 'serial')
  const claimed = broker.claim('host-a', late.sessionId)
  assert.equal(await late.stream, null)
  assert.equal(claimed?.deliver(stream('too late')), false)
  const cancelled = broker.request('host-a', 'inst', 'serial')
  cancelled.cancel()
  assert.equal(await cancelled.stream, null)
  assert.equal(broker.claim('host-a', cancelled.sessionId), null)
  assert.equal(broker.pendingCount, 0)
  clearTimeout(keepAlive)
})
