import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { QmpClient, QmpError } from '../../../../src/virt/qemu/qmp-client.js'

/** A fake QEMU monitor: greets, then answers each command through `reply` (events may come first). */
async function fakeMonitor(t: { after: (fn: () => void) => void }, reply: (command: { execute: string; id: string }, write: (o: unknown) => void) => void): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-qmp-'))
  const socketPath = path.join(dir, 'qmp.sock')
  const server = net.createServer((socket) => {
    const write = (o: unknown) => socket.write(`${JSON.stringify(o)}\r\n`)
    write({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 } }, capabilities: [] } })
    let buffer = ''
    socket.on('data', (chunk) => {
      buffer += chunk.toString()
      let i: number
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i)
        buffer = buffer.slice(i + 1)
        reply(JSON.parse(line), write)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  t.after(() => {
    server.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return socketPath
}

describe('QmpClient', () => {
  test('matches replies to commands by id, with events in between delivered as events', async (t) => {
    const socket = await fakeMonitor(t, (command, write) => {
      if (command.execute === 'qmp_capabilities') return write({ return: {}, id: command.id })
      write({ event: 'POWERDOWN', timestamp: { seconds: 1, microseconds: 0 } })
      setTimeout(() => write({ return: { status: 'running', cmd: command.execute }, id: command.id }), command.execute === 'slow' ? 30 : 0)
    })
    const qmp = await QmpClient.connect(socket)
    t.after(() => qmp.close())
    const events: string[] = []
    qmp.on('event', (e: { event: string }) => events.push(e.event))
    const [slow, fast] = await Promise.all([qmp.execute<{ cmd: string }>('slow'), qmp.execute<{ cmd: string }>('query-status')])
    assert.equal(slow.cmd, 'slow')
    assert.equal(fast.cmd, 'query-status')
    assert.deepEqual(events, ['POWERDOWN', 'POWERDOWN'])
  })

  test('an error reply rejects with QEMU\'s class and description', async (t) => {
    const socket = await fakeMonitor(t, (command, write) => {
      if (command.execute === 'qmp_capabilities') return write({ return: {}, id: command.id })
      write({ error: { class: 'DeviceNotFound', desc: "Device 'x' not found" }, id: command.id })
    })
    const qmp = await QmpClient.connect(socket)
    t.after(() => qmp.close())
    await assert.rejects(qmp.execute('device_del', { id: 'x' }), (error: unknown) => error instanceof QmpError && error.errorClass === 'DeviceNotFound' && /Device 'x' not found/.test(error.message))
  })

  test('waitForEvent resolves on the named event and times out otherwise', async (t) => {
    const socket = await fakeMonitor(t, (command, write) => {
      write({ return: {}, id: command.id })
      if (command.execute === 'system_powerdown') setTimeout(() => write({ event: 'SHUTDOWN', data: { guest: true } }), 10)
    })
    const qmp = await QmpClient.connect(socket)
    t.after(() => qmp.close())
    const shutdown = qmp.waitForEvent('SHUTDOWN', 2000)
    await qmp.execute('system_powerdown')
    assert.deepEqual((await shutdown).data, { guest: true })
    await assert.rejects(qmp.waitForEvent('RESET', 50), /no QMP RESET event/)
  })

  test('pending commands fail when the monitor goes away', async (t) => {
    const socket = await fakeMonitor(t, (command, write) => {
      if (command.execute === 'qmp_capabilities') return write({ return: {}, id: command.id })
    })
    const qmp = await QmpClient.connect(socket)
    const pending = qmp.execute('quit')
    qmp.close()
    await assert.rejects(pending, /closed/)
  })

  test('connecting to a socket nobody listens on fails clearly', async () => {
    await assert.rejects(QmpClient.connect(path.join(os.tmpdir(), 'lb-no-such-qmp.sock'), 500), /QMP connect .* failed/)
  })
})
