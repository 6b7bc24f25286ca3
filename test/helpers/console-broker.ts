import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { CONSOLE_REQUESTS_PATH, type ConsoleKind, type ConsoleRequest } from '../../src/agent-api/consoles.js'

/** The agent's dial-back of one session, as the control plane sees it. */
export interface DialBack {
  ws: WebSocket
  /** The request headers of the upgrade (the agent's credential headers). */
  headers: http.IncomingHttpHeaders
  /** Everything the agent sent so far (guest output), as text. */
  received(): string
  /** Waits until the received text matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Resolves with the close code and reason when the agent closes. */
  closed: Promise<{ code: number; reason: string }>
}

/**
 * The control plane's side of the console contract in its smallest form,
 * for testing the agent without the console proxy: it answers the agent's
 * long poll with the sessions `request` queued and accepts the dial-back
 * websockets on their stream paths. With `upstream`, every other request is
 * passed on to that control plane, so a real agent can register and run
 * tasks through the broker's URL.
 */
export async function startConsoleBroker(options: { upstream?: string } = {}): Promise<{ url: string; request(instanceUuid: string, console: ConsoleKind): Promise<DialBack>; polls(): number; close(): Promise<void> }> {
  let queue: ConsoleRequest[] = []
  let waiting: Array<() => void> = []
  let pollCount = 0
  const sessions = new Map<string, (dial: DialBack) => void>()
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false })
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://broker')
    if (req.method !== 'GET' || url.pathname !== CONSOLE_REQUESTS_PATH) {
      if (!options.upstream) {
        res.writeHead(404).end()
        return
      }
      const forward = http.request(new URL(req.url ?? '/', options.upstream), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      forward.on('error', () => res.destroy())
      req.pipe(forward)
      return
    }
    pollCount++
    const reply = () => {
      clearTimeout(timer)
      waiting = waiting.filter((w) => w !== reply)
      const requests = queue
      queue = []
      if (!res.writableEnded) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests }))
    }
    const timer = setTimeout(reply, Math.min(Number(url.searchParams.get('wait_ms') ?? 0), 30_000))
    if (queue.length > 0) reply()
    else waiting.push(reply)
    // A poll its agent gave up (stopped) must not take requests meant for the next one.
    res.on('close', () => {
      clearTimeout(timer)
      waiting = waiting.filter((w) => w !== reply)
    })
  })
  server.on('upgrade', (req, socket, head) => {
    const match = /^\/agent\/v1\/console-streams\/([^/?]+)$/.exec(req.url ?? '')
    const deliver = match ? sessions.get(decodeURIComponent(match[1]!)) : undefined
    if (!deliver) {
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      let text = ''
      const listeners = new Set<() => void>()
      ws.on('message', (data: Buffer) => {
        text += data.toString('latin1')
        for (const listener of listeners) listener()
      })
      const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
      deliver({
        ws, headers: req.headers, closed, received: () => text,
        waitFor: (pattern, timeoutMs = 10_000) => new Promise((resolve, reject) => {
          const check = () => {
            if (!pattern.test(text)) return
            listeners.delete(check)
            clearTimeout(timer)
            resolve(text)
          }
          const timer = setTimeout(() => {
            listeners.delete(check)
            reject(new Error(`no ${pattern} in:\n${text}`))
          }, timeoutMs)
          listeners.add(check)
          check()
        }),
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    polls: () => pollCount,
    request(instanceUuid, console) {
      const sessionId = randomUUID()
      const dialed = new Promise<DialBack>((resolve) => sessions.set(sessionId, resolve))
      queue.push({ sessionId, instanceUuid, console })
      for (const wake of [...waiting]) wake()
      return dialed
    },
    async close() {
      for (const wake of [...waiting]) wake()
      for (const ws of wss.clients) ws.terminate()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
