import http, { type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import type { ApiContext } from '../context.js'
import type { Logger } from '../../logging.js'
import { CONSOLE_WS_OPTIONS, consoleBroker, upgrade } from './console-streams.js'
import { relayConsole } from './console-relay.js'
import { originProblem } from './origin-check.js'
import { serveVncPage, vncPageDir } from './vnc-page.js'

/** The console proxy listener: the noVNC page and every console websocket on one port. */
export interface ConsoleProxy {
  /** The port it listens on; null before `listen`. */
  readonly port: number | null
  /** Listens on host:port (0 = a free port); resolves with the port, rejects with the listen error (EADDRINUSE…). */
  listen(host: string, port: number): Promise<number>
  /** Stops listening and drops every open console. */
  close(): Promise<void>
}

/** Nova's token places: `?token=` of the request path, else the `token` cookie (noVNC before 1.1). */
export function consoleTokenOf(req: Pick<IncomingMessage, 'url' | 'headers'>): string | null {
  const fromQuery = new URL(req.url ?? '/', 'http://console').searchParams.get('token')
  if (fromQuery) return fromQuery
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === 'token' && value.length > 0) return decodeURIComponent(value.join('='))
  }
  return null
}

/** A refused viewer: upgraded, then closed with an empty close frame (no code, no reason: no data at all). */
function closeWithoutData(viewer: WebSocket): void {
  viewer.close()
  // Clients that never answer a close frame (Tempest's raw socket) see the connection end soon after.
  setTimeout(() => viewer.terminate(), 500).unref()
}

/**
 * The console proxy (Nova's nova-novncproxy and nova-serialproxy in one
 * listener, on `config.consolePort`): a websocket upgrade on any path with a
 * console token is validated (token, instance still running, Origin as Nova
 * checks it), then relayed through the broker to the agent of the
 * instance's host; a refused one is upgraded and closed without data, as
 * Nova does (Tempest's `test_novnc_bad_token`). Plain GETs get the noVNC page.
 */
export function createConsoleProxy(ctx: ApiContext, log: Logger): ConsoleProxy {
  const wss = new WebSocketServer(CONSOLE_WS_OPTIONS)
  const broker = consoleBroker(ctx)
  const pageDir = vncPageDir()
  const server = http.createServer((req, res) => serveVncPage(req, res, pageDir))
  let port: number | null = null

  async function open(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy())
    const token = consoleTokenOf(req)
    const opening = token ? await ctx.services.consoleAccess.open(token) : null
    const problem = opening ? originProblem(req.headers, opening.target.accessUrlBase) : 'invalid or expired token, or the instance does not run'
    const viewer = await upgrade(wss, req, socket, head)
    if (!opening || problem) {
      log.info({ reason: problem }, 'console connection refused')
      closeWithoutData(viewer)
      return
    }
    // Input typed before the agent answers waits in the socket until the relay starts.
    viewer.pause()
    const pending = broker.request(opening.host, opening.target.instanceUuid, opening.console)
    viewer.once('close', () => pending.cancel())
    viewer.on('error', () => undefined)
    const agent = await pending.stream
    if (!agent) {
      log.warn({ instance: opening.target.instanceUuid, host: opening.host, console: opening.console }, 'the compute agent did not open the console in time')
      if (viewer.readyState === WebSocket.OPEN) viewer.close(1011, 'The console is not available.')
      return
    }
    if (viewer.readyState !== WebSocket.OPEN) {
      agent.close(1000)
      return
    }
    log.info({ instance: opening.target.instanceUuid, host: opening.host, console: opening.console }, 'console connected')
    relayConsole(viewer, agent)
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    open(req, socket, head).catch((error: unknown) => {
      log.warn({ err: error }, 'console connection failed')
      socket.destroy()
    })
  })

  return {
    get port() { return port },
    listen(host, wanted) {
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host, port: wanted }, () => {
          server.off('error', reject)
          port = (server.address() as AddressInfo).port
          resolve(port)
        })
      })
    },
    async close() {
      for (const client of wss.clients) client.terminate()
      wss.close()
      if (!server.listening) return
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
      port = null
    },
  }
}
