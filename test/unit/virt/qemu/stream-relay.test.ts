import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { assertNbdReachable, isLoopbackHost } from '../../../../src/virt/qemu/nbd-reach.js'
import { afterRoute } from '../../../../src/virt/qemu/qemu-netns.js'
import { relaySocketPath, startRelay } from '../../../../src/virt/qemu/stream-relay.js'
import { DriverError } from '../../../../src/virt/virt-driver.js'

/** An echo server on a unix socket that upper-cases what it gets. */
async function upperServer(socketPath: string): Promise<net.Server> {
  fs.rmSync(socketPath, { force: true })
  const server = net.createServer((socket) => socket.on('data', (data) => socket.write(data.toString().toUpperCase())).on('error', () => undefined))
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return server
}

function roundTrip(options: net.NetConnectOpts, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(options, () => socket.write(text))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString())
    })
    socket.once('error', reject)
  })
}

describe('stream relays: unix sockets (which cross network namespaces) to TCP and back', () => {
  test('a TCP listener piped to a unix socket and a unix listener piped to that TCP port carry bytes both ways; close ends them and removes the socket file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-relay-'))
    const target = await upperServer(path.join(dir, 'qemu.sock'))
    const inbound = await startRelay({ host: '127.0.0.1', port: 0 }, { path: path.join(dir, 'qemu.sock') })
    const outPath = relaySocketPath(dir, 'outgoing-test')
    const outbound = await startRelay({ path: outPath }, { host: '127.0.0.1', port: inbound.port })
    try {
      assert.ok(inbound.port > 0)
      assert.equal(await roundTrip({ host: '127.0.0.1', port: inbound.port }, 'ram'), 'RAM')
      assert.equal(await roundTrip({ path: outPath }, 'nbd over two hops'), 'NBD OVER TWO HOPS')
    } finally {
      await outbound.close()
      await inbound.close()
      await new Promise((resolve) => target.close(resolve))
    }
    assert.equal(fs.existsSync(outPath), false)
    await assert.rejects(roundTrip({ host: '127.0.0.1', port: inbound.port }, 'x'))
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('relay socket paths are short (sun_path) and differ per domain and role', () => {
    const deep = `/${'d'.repeat(150)}/domains/0f8c3b1e-6a8d-4a5e-9d5b-1f2e3d4c5b6a`
    assert.ok(Buffer.byteLength(relaySocketPath(deep, 'incoming-nbd')) < 100)
    assert.notEqual(relaySocketPath(deep, 'incoming-nbd'), relaySocketPath(deep, 'incoming-ram'))
    assert.notEqual(relaySocketPath(deep, 'incoming-nbd'), relaySocketPath(`${deep}x`, 'incoming-nbd'))
  })
})

describe('egress nat and NBD volumes', () => {
  test('an NBD server on the host\'s loopback is refused for a nat guest, with what to change; other addresses, other egress and files pass', () => {
    assert.equal(isLoopbackHost('127.0.0.1'), true)
    assert.equal(isLoopbackHost('127.3.0.9'), true)
    assert.equal(isLoopbackHost('::1'), true)
    assert.equal(isLoopbackHost('localhost'), true)
    assert.equal(isLoopbackHost('10.250.3.1'), false)
    assert.throws(() => assertNbdReachable('nbd://127.0.0.1:10809/volume-x', 'nat', 'volume-x'), (error: unknown) =>
      error instanceof DriverError && error.code === 'LB_VOLUME_MISSING' && /LIFEBOAT_NBD_ADDRESS/.test(error.message) && /egress nat/.test(error.message))
    assert.doesNotThrow(() => assertNbdReachable('nbd://10.250.3.1:10809/volume-x', 'nat', 'volume-x'))
    assert.doesNotThrow(() => assertNbdReachable('nbd://127.0.0.1:10809/volume-x', 'isolated', 'volume-x'))
    assert.doesNotThrow(() => assertNbdReachable('/var/lib/lifeboat/volumes/x.qcow2', 'nat', 'volume-x'))
  })

  test('QEMU starts behind a wait for the namespace\'s default route, its arguments passed through unchanged', { skip: fs.existsSync('/bin/sh') ? false : 'no /bin/sh' }, () => {
    const command = afterRoute(['printf', '%s|', 'a b', '$HOME'])
    assert.deepEqual(command.slice(0, 2), ['sh', '-c'])
    assert.match(command[2]!, /ip -4 route show default \| grep -q tap0/)
    // Without tap0's route it would wait; with the check replaced by `true` it becomes the command at once.
    const script = command[2]!.replace('ip -4 route show default | grep -q tap0', 'true')
    const out = execFileSync('sh', ['-c', script, ...command.slice(3)], { encoding: 'utf8' })
    assert.equal(out, 'a b|$HOME|')
  })
})
