import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, test } from 'node:test'
import { WebSocket } from 'ws'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, waitForStatus } from '../../helpers/compute.js'
import { agentHeaders, dialBack, openViewer, pollConsoleRequests, startEchoConsoleAgent } from '../../helpers/console-agent.js'
import { ConsoleCloseCode, CONSOLE_REQUESTS_PATH } from '../../../src/agent-api/index.js'
import type { ConsoleType } from '../../../src/services/consoles/console-tokens.js'

const ECHO_HOST = 'console-echo-host'

describeEachDialect('the console proxy relays a console token\'s websocket to the agent of the instance\'s host', (cloud) => {
  let serverId: string
  let echoCredential: string
  let echo: ReturnType<typeof startEchoConsoleAgent>
  let port: number

  /** A token as the console API issues it (its own routes are tested with the API). */
  async function token(consoleType: ConsoleType, id = serverId): Promise<string> {
    const issued = await cloud().running.services.consoleTokens.issue({
      consoleType, instanceUuid: id, projectId: cloud().demo.projectId, host: ECHO_HOST,
      accessUrlBase: consoleType === 'serial' ? `ws://127.0.0.1:${port}/` : `http://127.0.0.1:${port}/vnc_auto.html`,
    })
    return issued.token
  }

  before(async () => {
    port = cloud().running.consolePort
    const server = await bootServer(cloud().demo, { imageRef: await createImage(cloud().admin) })
    serverId = server.id
    // The instance moves to a host whose console side is this test's echo agent (the fake driver's own console is the agent's part).
    echoCredential = await cloud().running.services.agents.issueCredential(ECHO_HOST)
    await cloud().running.database.db.updateTable('instances').set({ host: ECHO_HOST }).where('uuid', '=', serverId).execute()
    echo = startEchoConsoleAgent(cloud(), ECHO_HOST, echoCredential, { vnc: ConsoleCloseCode.UNSUPPORTED })
  })
  after(async () => {
    await echo?.stop()
  })

  test('the console URL\'s port is the proxy\'s, which serves the noVNC page under its three names with a strict CSP', async () => {
    for (const name of ['vnc_auto.html', 'vnc_lite.html', 'vnc.html']) {
      const res = await fetch(`http://127.0.0.1:${port}/${name}?path=%3Ftoken%3Dabc`)
      assert.equal(res.status, 200, name)
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
      const csp = res.headers.get('content-security-policy') ?? ''
      assert.match(csp, /default-src 'self'/)
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
      const html = await res.text()
      assert.match(html, /<html.*>/)
      assert.ok(html.includes('</html>') && html.includes('noVNC') && html.includes('<script'))
      assert.doesNotMatch(html, /<script>(?!<\/script>)/, 'no inline script')
    }
    const script = await fetch(`http://127.0.0.1:${port}/main.js`)
    assert.equal(script.status, 200)
    assert.match(script.headers.get('content-type') ?? '', /javascript/)
    for (const other of ['/', '/nope.html', '/%2e%2e/package.json', '/../../package.json', '/vnc/main.js']) {
      assert.equal((await fetch(`http://127.0.0.1:${port}${other}`)).status, 404, other)
    }
    assert.equal((await fetch(`http://127.0.0.1:${port}/vnc_auto.html`, { method: 'POST' })).status, 405)
  })

  test('a serial token upgrades with the binary subprotocol and echoes text and binary frames as binary frames', async () => {
    const viewer = await openViewer(port, `/?token=${await token('serial')}`, { protocols: ['binary', 'base64'] })
    assert.equal(viewer.ws.protocol, 'binary')
    viewer.ws.send('hello\r')
    const text = await viewer.next()
    assert.equal(text.binary, true)
    assert.equal(text.data.toString(), 'hello\r')
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff])
    viewer.ws.send(bytes)
    const echoed = await viewer.next()
    assert.equal(echoed.binary, true)
    assert.deepEqual(echoed.data, bytes)
    viewer.ws.close()
    await viewer.closed
  })

  test('the token may come in the token cookie, and a client offering no subprotocol gets none', async () => {
    const viewer = await openViewer(port, '/websockify', { protocols: [], headers: { cookie: `other=1; token=${await token('serial')}` } })
    assert.equal(viewer.ws.protocol, '')
    viewer.ws.send(Buffer.from('ping'))
    assert.equal((await viewer.next()).data.toString(), 'ping')
    viewer.ws.close()
  })

  test('a bad token is upgraded, then closed without any data', async () => {
    for (const path of ['/?token=bad', '/', `/?token=${'x'.repeat(300)}`]) {
      const viewer = await openViewer(port, path)
      const closed = await viewer.closed
      assert.equal(viewer.messages.length, 0, path)
      assert.equal(closed.code, 1005, 'an empty close frame: no code, no reason')
    }
  })

  test('a raw upgrade with a bad token gets 101 Switching Protocols and then nothing but an empty close frame (Tempest test_novnc_bad_token)', async () => {
    const bytes = await rawUpgrade(port, '/?token=bad', 'path=%3Ftoken%3Dbad')
    const text = bytes.toString('latin1')
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/)
    assert.match(text.toLowerCase(), /upgrade: websocket/)
    assert.match(text.toLowerCase(), /sec-websocket-protocol: binary/)
    const frames = bytes.subarray(text.indexOf('\r\n\r\n') + 4)
    assert.deepEqual([...frames], [0x88, 0x00], 'only a close frame without a payload')
  })

  test('an expired token is refused the same way', async () => {
    const expired = await token('serial')
    await cloud().running.database.db.updateTable('console_auth_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute()
    const viewer = await openViewer(port, `/?token=${expired}`)
    await viewer.closed
    assert.equal(viewer.messages.length, 0)
  })

  test('Origin is checked as Nova checks it: missing or same host passes, another host or scheme is refused', async () => {
    const valid = await token('serial')
    for (const origin of [`http://127.0.0.1:${port}`, 'http://127.0.0.1', undefined]) {
      const viewer = await openViewer(port, `/?token=${valid}`, { headers: origin ? { origin } : {} })
      viewer.ws.send('x')
      assert.equal((await viewer.next()).data.toString(), 'x', String(origin))
      viewer.ws.close()
    }
    for (const origin of ['http://evil.example', `https://127.0.0.1:${port}`, 'null', 'file://']) {
      const viewer = await openViewer(port, `/?token=${valid}`, { headers: { origin } })
      await viewer.closed
      assert.equal(viewer.messages.length, 0, origin)
    }
  })

  test('the agent\'s close code reaches the viewer (a VNC console the agent cannot serve)', async () => {
    const viewer = await openViewer(port, `/?token=${await token('novnc')}`)
    const closed = await viewer.closed
    assert.equal(closed.code, ConsoleCloseCode.UNSUPPORTED)
  })

  test('a viewer closing closes the agent\'s stream, and two viewers each get their own stream', async () => {
    const before = echo.streams
    const a = await openViewer(port, `/?token=${await token('serial')}`)
    const b = await openViewer(port, `/?token=${await token('serial')}`)
    a.ws.send('from a')
    b.ws.send('from b')
    assert.equal((await a.next()).data.toString(), 'from a')
    assert.equal((await b.next()).data.toString(), 'from b')
    assert.equal(echo.streams, before + 2)
    a.ws.close()
    await a.closed
    b.ws.send('still here')
    assert.equal((await b.next()).data.toString(), 'still here')
    b.ws.close()
    await b.closed
    assert.equal(cloud().running.services.consoleBroker.pendingCount, 0)
  })

  test('a stopped server\'s token no longer opens its console', async () => {
    const other = await bootServer(cloud().demo, { imageRef: await createImage(cloud().admin) })
    const early = await token('serial', other.id)
    assert.equal((await action(cloud().demo, other.id, { 'os-stop': null })).status, 202)
    await waitForStatus(cloud().demo, other.id, 'SHUTOFF')
    const viewer = await openViewer(port, `/?token=${early}`)
    await viewer.closed
    assert.equal(viewer.messages.length, 0)
  })
})

describeEachDialect('the agent\'s console routes', (cloud) => {
  test('console-requests needs agent credentials and validates wait_ms', async () => {
    const url = `${cloud().url}${CONSOLE_REQUESTS_PATH}`
    assert.equal((await fetch(url)).status, 401)
    assert.equal((await fetch(url, { headers: agentHeaders('no-such-host', 'guess') })).status, 401)
    const credential = await cloud().running.services.agents.issueCredential('route-host')
    assert.equal((await fetch(`${url}?wait_ms=-1`, { headers: agentHeaders('route-host', credential) })).status, 400)
    assert.equal((await fetch(`${url}?wait_ms=999999`, { headers: agentHeaders('route-host', credential) })).status, 400)
    assert.equal((await fetch(`${url}?wait_ms=abc`, { headers: agentHeaders('route-host', credential) })).status, 400)
    assert.deepEqual(await pollConsoleRequests(cloud(), 'route-host', credential, 0), [])
  })

  test('a dial-back needs the credentials of the host the session is for', async () => {
    const broker = cloud().running.services.consoleBroker
    const mine = await cloud().running.services.agents.issueCredential('dial-host')
    const theirs = await cloud().running.services.agents.issueCredential('other-host')
    const pending = broker.request('dial-host', '00000000-0000-4000-8000-000000000001', 'serial')
    const [request] = await pollConsoleRequests(cloud(), 'dial-host', mine, 1000)
    assert.equal(request?.sessionId, pending.sessionId)
    assert.deepEqual(await pollConsoleRequests(cloud(), 'dial-host', mine, 0), [], 'a request is served once')
    assert.deepEqual(await pollConsoleRequests(cloud(), 'other-host', theirs, 0), [], 'and only to its host')
    assert.equal(await dialBack(cloud(), 'dial-host', null, pending.sessionId), 401)
    assert.equal(await dialBack(cloud(), 'dial-host', 'wrong', pending.sessionId), 401)
    assert.equal(await dialBack(cloud(), 'other-host', theirs, pending.sessionId), 404, 'another host\'s session')
    assert.equal(await dialBack(cloud(), 'dial-host', mine, 'no-such-session'), 404)
    const stream = await dialBack(cloud(), 'dial-host', mine, pending.sessionId)
    assert.ok(stream instanceof WebSocket)
    assert.ok(await pending.stream, 'the viewer side got the agent\'s end')
    assert.equal(await dialBack(cloud(), 'dial-host', mine, pending.sessionId), 404, 'a session is claimed once')
    stream.terminate()
  })

  test('a long poll waits for a request and wakes when one comes', async () => {
    const credential = await cloud().running.services.agents.issueCredential('wait-host')
    const polled = pollConsoleRequests(cloud(), 'wait-host', credential, 10_000)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const pending = cloud().running.services.consoleBroker.request('wait-host', '00000000-0000-4000-8000-000000000002', 'vnc')
    const requests = await polled
    assert.deepEqual(requests, [{ sessionId: pending.sessionId, instanceUuid: '00000000-0000-4000-8000-000000000002', console: 'vnc' }])
    pending.cancel()
    assert.equal(await pending.stream, null)
  })

  test('other upgrade paths on the API listener are refused', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${cloud().url.replace(/^http/, 'ws')}/compute/v2.1`)
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
        ws.terminate()
      })
      ws.once('open', () => reject(new Error('upgraded')))
      ws.once('error', reject)
    })
    assert.equal(status, 404)
  })
})

/** Tempest's raw upgrade (tempest/common/compute.py `_WebSocket._upgrade`): everything the server sent until it closed. */
function rawUpgrade(port: number, path: string, cookie: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('close', () => resolve(Buffer.concat(chunks)))
    socket.on('error', reject)
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: ${cookie}\r\n`
      + 'Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n\r\n')
  })
}
