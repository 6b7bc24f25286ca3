import { WebSocket } from 'ws'
import { startBenchCloud, uploadRawImage } from './lib/cloud.js'
import { latencyLine, section } from './lib/report.js'
import { postServer, waitForStatus } from './lib/servers.js'
import { now } from './lib/stats.js'
import type { BenchClient } from './lib/http.js'

/** Issue 14's goals: token → first byte of guest output, and a keystroke's echo through the proxy. */
const GOAL_FIRST_BYTE_MS = 50
const GOAL_ECHO_MEDIAN_MS = 10
const CONNECTS = 30
const KEYSTROKES = 300

/** A console URL's websocket address (`/?token=…`, or the noVNC page's `path`). */
async function consoleWebsocket(client: BenchClient, id: string, protocol: 'serial' | 'vnc'): Promise<string> {
  const res = await client.expect(200, 'POST', `/compute/v2.1/servers/${id}/remote-consoles`, {
    body: { remote_console: { protocol, type: protocol === 'vnc' ? 'novnc' : 'serial' } }, microversion: '2.6',
  })
  const url = new URL(res.body.remote_console.url as string)
  const path = url.searchParams.get('path')
  return `ws://${url.host}${path ? `/${path}` : `${url.pathname}${url.search}`}`
}

/** Opens a viewer and waits for its first message (after sending `hello`, if any): connect → first byte, in ms. */
async function firstByte(address: string, hello?: string): Promise<{ ms: number; ws: WebSocket }> {
  const started = now()
  const ws = new WebSocket(address, ['binary'], { perMessageDeflate: false })
  if (hello !== undefined) ws.once('open', () => ws.send(hello))
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve())
    ws.once('error', reject)
    ws.once('close', () => reject(new Error('the console closed before any byte')))
  })
  return { ms: now() - started, ws }
}

/**
 * Issue 14: the console proxy on the fake driver (the embedded agent's serial
 * hub and tiny RFB server behind it), from a websocket client in this process
 * through the proxy, the broker, the agent's dial-back, and back.
 */
export async function runConsoleBench(): Promise<void> {
  section('Consoles (issue 14) — proxy + broker + embedded agent, fake driver, loopback')
  const cloud = await startBenchCloud()
  try {
    const imageId = await uploadRawImage(cloud.admin, 'bench-console-image')
    const id = await postServer(cloud.demo, imageId, 'console-bench')
    await waitForStatus(cloud.demo, id, 'ACTIVE')
    const vnc: number[] = []
    const serial: number[] = []
    for (let i = 0; i < CONNECTS + 3; i++) {
      // New tokens each time, as a browser opening the console URL would; the first three warm up.
      const v = await firstByte(await consoleWebsocket(cloud.demo, id, 'vnc'))
      v.ws.terminate()
      const s = await firstByte(await consoleWebsocket(cloud.demo, id, 'serial'), '\r')
      s.ws.terminate()
      if (i >= 3) {
        vnc.push(v.ms)
        serial.push(s.ms)
      }
    }
    latencyLine('token → first byte, VNC (RFB greeting)', vnc, [{ figure: 'median', atMost: GOAL_FIRST_BYTE_MS }])
    latencyLine('token → first byte, serial (after a CR)', serial, [{ figure: 'median', atMost: GOAL_FIRST_BYTE_MS }])

    const { ws } = await firstByte(await consoleWebsocket(cloud.demo, id, 'serial'), '\r')
    const echoes: number[] = []
    let waiting: (() => void) | null = null
    ws.on('message', () => waiting?.())
    for (let i = 0; i < KEYSTROKES; i++) {
      const started = now()
      await new Promise<void>((resolve) => {
        waiting = resolve
        ws.send('x')
      })
      echoes.push(now() - started)
    }
    ws.terminate()
    latencyLine('keystroke → echo through the proxy (serial)', echoes.slice(20), [{ figure: 'median', atMost: GOAL_ECHO_MEDIAN_MS }])
  } finally {
    await cloud.close()
  }
}
