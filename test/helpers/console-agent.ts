import { WebSocket, type RawData } from 'ws'
import { CONSOLE_REQUESTS_PATH, consoleStreamPath, type ConsoleRequest } from '../../src/agent-api/index.js'
import type { TestCloud } from './cloud.js'

/** An agent's credential headers. */
export function agentHeaders(host: string, credential: string): Record<string, string> {
  return { 'x-lifeboat-agent-host': host, 'x-lifeboat-agent-credential': credential }
}

/** One long poll of `host`'s console requests. */
export async function pollConsoleRequests(cloud: TestCloud, host: string, credential: string, waitMs = 0): Promise<ConsoleRequest[]> {
  const response = await fetch(`${cloud.url}${CONSOLE_REQUESTS_PATH}?wait_ms=${waitMs}`, { headers: agentHeaders(host, credential) })
  if (response.status !== 200) throw new Error(`console-requests: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { requests: ConsoleRequest[] }).requests
}

/**
 * Dials back for `sessionId` as `host`: the open websocket, or the HTTP status it was refused with.
 * `onMessage` listens from the start (input the viewer typed early may come with the handshake's answer).
 */
export function dialBack(cloud: TestCloud, host: string, credential: string | null, sessionId: string, onMessage?: (ws: WebSocket, data: RawData) => void): Promise<WebSocket | number> {
  const url = `${cloud.url.replace(/^http/, 'ws')}${consoleStreamPath(sessionId)}`
  const ws = new WebSocket(url, { headers: credential === null ? {} : agentHeaders(host, credential), perMessageDeflate: false })
  if (onMessage) ws.on('message', (data: RawData) => onMessage(ws, data))
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.once('error', reject)
  })
}

/**
 * A test-side compute agent's console side for `host`: it long-polls
 * console requests, dials back, and echoes every frame, except for the
 * consoles named in `closeWith`, which it closes at once with that code (as a
 * real agent does when it cannot serve one).
 */
export function startEchoConsoleAgent(cloud: TestCloud, host: string, credential: string, closeWith: Partial<Record<ConsoleRequest['console'], number>> = {}): { streams: number; stop(): Promise<void> } {
  let running = true
  const sockets = new Set<WebSocket>()
  const state = { streams: 0, stop }
  const loop = (async () => {
    while (running) {
      const requests = await pollConsoleRequests(cloud, host, credential, 200).catch(() => [])
      for (const request of requests) {
        const code = closeWith[request.console]
        const echoBack = code === undefined ? (ws: WebSocket, data: RawData) => ws.send(data as Buffer, { binary: true }) : undefined
        const ws = await dialBack(cloud, host, credential, request.sessionId, echoBack).catch(() => 0)
        if (typeof ws === 'number') continue
        state.streams++
        sockets.add(ws)
        ws.once('close', () => sockets.delete(ws))
        if (code !== undefined) ws.close(code, 'cannot serve it')
      }
    }
  })()
  async function stop(): Promise<void> {
    running = false
    await loop
    for (const ws of sockets) ws.terminate()
  }
  return state
}

/** A viewer's connection as a test sees it: every message and the close. */
export interface Viewer {
  ws: WebSocket
  messages: Array<{ data: Buffer; binary: boolean }>
  closed: Promise<{ code: number; reason: string }>
  /** The next message (waits for it). */
  next(timeoutMs?: number): Promise<{ data: Buffer; binary: boolean }>
}

/** Connects a viewer to the console proxy (`path` like `/?token=…`), offering `protocols`; resolves once open. */
export function openViewer(port: number, path: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<Viewer> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, options.protocols ?? ['binary'], { headers: options.headers, perMessageDeflate: false })
  const messages: Viewer['messages'] = []
  const waiters: Array<() => void> = []
  ws.on('message', (data: RawData, binary: boolean) => {
    messages.push({ data: data as Buffer, binary })
    for (const wake of waiters.splice(0)) wake()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => {
    resolve({ code, reason: reason.toString() })
    for (const wake of waiters.splice(0)) wake()
  }))
  let read = 0
  const next = async (timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs
    while (messages.length <= read) {
      if (ws.readyState === WebSocket.CLOSED) throw new Error('the viewer was closed')
      if (Date.now() > deadline) throw new Error('no message')
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
    return messages[read++]!
  }
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed, next }))
    ws.once('error', reject)
  })
}
