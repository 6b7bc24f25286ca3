import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect, type Session } from '../../helpers/cloud.js'
import { action, bootServer, createImage, waitForStatus } from '../../helpers/compute.js'
import { openViewer, type Viewer } from '../../helpers/console-agent.js'
import { waitUntil } from '../../helpers/wait-until.js'

/** A console URL from the console API (as `openstack console url show` gets it). */
async function consoleUrl(session: Session, id: string, protocol: 'serial' | 'vnc'): Promise<URL> {
  const res = await session.request('POST', `/compute/v2.1/servers/${id}/remote-consoles`, {
    body: { remote_console: { protocol, type: protocol === 'vnc' ? 'novnc' : 'serial' } }, microversion: '2.6',
  })
  assert.equal(res.status, 200, res.text)
  return new URL(res.body.remote_console.url)
}

/** The websocket path of a console URL: `/?token=…`, or the noVNC page's `path` parameter. */
function websocketPath(url: URL): string {
  const path = url.searchParams.get('path')
  return path ? `/${path}` : `${url.pathname}${url.search}`
}

/** Everything a viewer received, as text. */
const textOf = (viewer: Viewer) => Buffer.concat(viewer.messages.map((m) => m.data)).toString('latin1')

async function waitForText(viewer: Viewer, text: string): Promise<void> {
  await waitUntil(() => textOf(viewer).includes(text), { timeoutMs: 5000, intervalMs: 10, what: () => `no ${JSON.stringify(text)} in ${JSON.stringify(textOf(viewer))}` })
}

describeEachDialect('consoles through the proxy and the embedded agent (fake driver)', (cloud) => {
  test('two viewers of one serial console see the same output, input from either reaches the guest, and the console log keeps it', async () => {
    const server = await bootServer(cloud().demo, { imageRef: await createImage(cloud().admin) })
    const url = await consoleUrl(cloud().demo, server.id, 'serial')
    assert.equal(Number(url.port), cloud().running.consolePort)
    const a = await openViewer(Number(url.port), websocketPath(url))
    const b = await openViewer(Number(url.port), websocketPath(await consoleUrl(cloud().demo, server.id, 'serial')))
    // A stream is attached once its own echo comes back.
    a.ws.send('mark-a\r')
    await waitForText(a, 'mark-a')
    b.ws.send('mark-b\r')
    await waitForText(b, 'mark-b')
    a.ws.send('typed-by-a\r')
    await waitForText(a, 'typed-by-a')
    await waitForText(b, 'typed-by-a')
    b.ws.send(Buffer.from('typed-by-b\r'))
    await waitForText(a, 'typed-by-b')
    await waitForText(b, 'typed-by-b')
    assert.ok(a.messages.every((m) => m.binary), 'binary frames out')
    const log = await cloud().demo.request('POST', `/compute/v2.1/servers/${server.id}/action`, { body: { 'os-getConsoleOutput': {} } })
    assert.equal(log.status, 200)
    assert.match(log.body.output, /typed-by-a/)
    assert.match(log.body.output, /typed-by-b/)
    a.ws.close()
    await a.closed
    b.ws.send('after-a-left\r')
    await waitForText(b, 'after-a-left')
    b.ws.close()
    await b.closed
  })

  test('the noVNC URL\'s page and websocket: RFB 3.8 with security type None, one RFB message per frame', async () => {
    const server = await bootServer(cloud().demo, { imageRef: await createImage(cloud().admin) })
    const url = await consoleUrl(cloud().demo, server.id, 'vnc')
    const page = await fetch(url)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /noVNC/)
    const viewer = await openViewer(Number(url.port), websocketPath(url))
    assert.equal((await viewer.next()).data.toString(), 'RFB 003.008\n')
    viewer.ws.send(Buffer.from('RFB 003.008\n'))
    const types = (await viewer.next()).data
    assert.ok([...types.subarray(1, 1 + types[0]!)].includes(1), 'security type None offered')
    viewer.ws.send(Buffer.from([1]))
    assert.deepEqual([...(await viewer.next()).data], [0, 0, 0, 0])
    viewer.ws.send(Buffer.from([1]))
    const init = (await viewer.next()).data
    assert.equal(init.length, 24 + init.readUInt32BE(20), 'ServerInit in one frame')
    viewer.ws.close()
  })

  test('the serial console works in RESCUE, and a token issued before a stop no longer opens it', async () => {
    const image = await createImage(cloud().admin)
    const server = await bootServer(cloud().demo, { imageRef: image })
    assert.equal((await action(cloud().demo, server.id, { rescue: {} })).status, 200)
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    const url = await consoleUrl(cloud().demo, server.id, 'serial')
    const viewer = await openViewer(Number(url.port), websocketPath(url))
    viewer.ws.send('in-rescue\r')
    await waitForText(viewer, 'in-rescue')
    viewer.ws.close()
    assert.equal((await action(cloud().demo, server.id, { unrescue: null })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    const early = await consoleUrl(cloud().demo, server.id, 'serial')
    assert.equal((await action(cloud().demo, server.id, { 'os-stop': null })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    const refused = await openViewer(Number(early.port), websocketPath(early))
    await refused.closed
    assert.equal(refused.messages.length, 0)
  })
})

test('the console proxy port being taken fails the start with one clear line', async () => {
  const { startTestCloud } = await import('../../helpers/cloud.js')
  const first = await startTestCloud('sqlite')
  try {
    await assert.rejects(startTestCloud('sqlite', { consolePort: first.running.consolePort }), (error: Error) => {
      assert.equal(error.name, 'StartupError')
      assert.match(error.message, new RegExp(`console proxy's port ${first.running.consolePort} .* already in use.*LIFEBOAT_CONSOLE_PORT`))
      return true
    })
  } finally {
    await first.close()
  }
})
