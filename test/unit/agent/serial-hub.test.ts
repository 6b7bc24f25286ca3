import assert from 'node:assert/strict'
import { PassThrough, Duplex } from 'node:stream'
import { describe, test } from 'node:test'
import { ConsoleOpenError, SerialHub, SerialHubs, type ConsoleFailure, type ConsoleViewer } from '../../../src/agent/consoles/serial-hub.js'
import { waitUntil as waitFor } from '../../helpers/wait-until.js'

const waitUntil = (check: () => boolean) => waitFor(check, { timeoutMs: 5000, intervalMs: 5, what: 'the condition' })

/** A guest serial line: what the hub writes lands in `input`; `output` pushes to the hub. */
function fakeLine(): { stream: Duplex; input: string[]; output(text: string): void } {
  const input: string[] = []
  const toHub = new PassThrough()
  const stream = Duplex.from({ readable: toHub, writable: new PassThrough().on('data', (d: Buffer) => input.push(d.toString())) })
  return { stream, input, output: (text) => toHub.write(text) }
}

function viewer(): ConsoleViewer & { text(): string; closed: Array<{ code: number; reason: string }> } {
  let text = ''
  const closed: Array<{ code: number; reason: string }> = []
  return { send: (d) => { text += d.toString() }, close: (code, reason) => closed.push({ code, reason }), text: () => text, closed }
}

const notRunning: ConsoleFailure = { code: 4409, reason: 'instance not running', final: false }
const gone: ConsoleFailure = { code: 4404, reason: 'instance not on this host', final: true }

describe('SerialHub', () => {
  test('one driver stream is shared: output goes to every viewer, input from any viewer goes to the guest', async () => {
    const lines: Array<ReturnType<typeof fakeLine>> = []
    const hubs = new SerialHubs((_id, onDone) => new SerialHub({ open: async () => { const l = fakeLine(); lines.push(l); return l.stream }, classify: () => notRunning, onDone }))
    const a = viewer()
    const b = viewer()
    const ha = await hubs.attach('i-1', a)
    const hb = await hubs.attach('i-1', b)
    assert.equal(lines.length, 1, 'the second viewer shares the first stream')
    lines[0]!.output('login: ')
    await waitUntil(() => a.text() === 'login: ' && b.text() === 'login: ')
    ha.write(Buffer.from('root\r'))
    hb.write(Buffer.from('ls\r'))
    await waitUntil(() => lines[0]!.input.join('') === 'root\rls\r')
    ha.detach()
    assert.equal(lines[0]!.stream.destroyed, false, 'a viewer remains')
    hb.detach()
    assert.equal(lines[0]!.stream.destroyed, true, 'the last viewer closes the driver stream')
    assert.equal(hubs.size, 0)
  })

  test('when the guest console goes away the hub reconnects while viewers remain, and the viewers see the new boot', async () => {
    const lines: Array<ReturnType<typeof fakeLine>> = []
    let down = false
    const hub = new SerialHub({
      open: async () => {
        if (down) throw new Error('not running')
        const l = fakeLine()
        lines.push(l)
        return l.stream
      },
      classify: () => notRunning, onDone: () => undefined, retryMs: 10, maxRetryMs: 20,
    })
    const a = viewer()
    await hub.attach(a)
    lines[0]!.output('old system\r\n')
    await waitUntil(() => a.text() === 'old system\r\n')
    down = true
    lines[0]!.stream.destroy()
    await new Promise((resolve) => setTimeout(resolve, 60))
    assert.deepEqual(a.closed, [], 'a reboot does not close viewers')
    down = false
    await waitUntil(() => lines.length === 2)
    lines[1]!.output('rescue system\r\n')
    await waitUntil(() => a.text() === 'old system\r\nrescue system\r\n')
    hub.close(1001, 'bye')
    assert.deepEqual(a.closed, [{ code: 1001, reason: 'bye' }])
  })

  test('a final failure on reconnect (the domain is gone) closes every viewer with its code', async () => {
    const line = fakeLine()
    let opened = 0
    let done = false
    const hub = new SerialHub({
      open: async () => {
        if (opened++ > 0) throw new Error('gone')
        return line.stream
      },
      classify: () => gone, onDone: () => { done = true }, retryMs: 5,
    })
    const a = viewer()
    await hub.attach(a)
    line.stream.destroy()
    await waitUntil(() => a.closed.length === 1)
    assert.deepEqual(a.closed, [{ code: 4404, reason: 'instance not on this host' }])
    assert.equal(done, true)
  })

  test('a first open that fails rejects with the failure and leaves no hub behind', async () => {
    const hubs = new SerialHubs((_id, onDone) => new SerialHub({ open: async () => { throw new Error('x') }, classify: () => notRunning, onDone }))
    await assert.rejects(hubs.attach('i-1', viewer()), (error: unknown) => error instanceof ConsoleOpenError && error.failure.code === 4409)
    assert.equal(hubs.size, 0)
  })
})
