import type { IncomingMessage } from 'node:http'
import type { WebSocket, WebSocketServer } from 'ws'
import type { Duplex } from 'node:stream'
import type { ApiContext } from '../context.js'
import type { ConsoleBroker } from '../../services/consoles/console-broker.js'

/**
 * The broker as the API layer uses it: every stream in it is a `ws` websocket
 * (the services layer only knows it can be closed; this layer is the only one
 * that puts streams in, so the view is exact).
 */
export function consoleBroker(ctx: ApiContext): ConsoleBroker<WebSocket> {
  return ctx.services.consoleBroker as ConsoleBroker<WebSocket>
}

/** Options every console websocket server shares: no compression, `binary` when offered, short close handshakes. */
export const CONSOLE_WS_OPTIONS = {
  noServer: true,
  perMessageDeflate: false,
  // websockify's `select_subprotocol`: `binary` if offered, else none (base64 mode is gone).
  handleProtocols: (protocols: Set<string>) => (protocols.has('binary') ? 'binary' : false),
  // A client that never answers a close frame (Tempest's raw socket) is dropped after this.
  closeTimeout: 2_000,
  maxPayload: 4 * 1024 * 1024,
} as const

/** Answers an upgrade request without upgrading: a status line, no body, then the socket is closed. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (!socket.writable) return void socket.destroy()
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy())
}

/** Completes the websocket handshake of `req` on `wss`. */
export function upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<WebSocket> {
  return new Promise((resolve) => wss.handleUpgrade(req, socket, head, resolve))
}
