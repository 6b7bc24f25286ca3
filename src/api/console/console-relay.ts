import { WebSocket, type RawData } from 'ws'

/** Above this many bytes queued toward one side, the other side is paused until they are written. */
const HIGH_WATER_BYTES = 1024 * 1024

/** Codes a websocket may send in a close frame (1005, 1006 and 1015 are only ever reported). */
function sendableCloseCode(code: number): number {
  if ((code >= 3000 && code <= 4999) || [1000, 1001, 1003, 1007, 1008, 1009, 1011].includes(code)) return code
  return 1000
}

/** One frame per message as received (a Buffer, or fragments when a message came in pieces). */
function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
}

/**
 * Forwards `from`'s messages to `to`, each as one binary frame (text frames a
 * browser sent become their UTF-8 bytes: the guest wants bytes), pausing
 * `from` while `to` has too much queued.
 */
function forward(from: WebSocket, to: WebSocket): void {
  from.on('message', (data) => {
    if (to.readyState !== WebSocket.OPEN) return
    to.send(asBuffer(data), { binary: true, compress: false }, () => {
      if (from.isPaused && to.bufferedAmount < HIGH_WATER_BYTES / 2) from.resume()
    })
    if (to.bufferedAmount > HIGH_WATER_BYTES) from.pause()
  })
}

/**
 * Pipes a viewer's websocket and the agent's dial-back both ways until either
 * closes, then closes the other with the same code (the agent's
 * `ConsoleCloseCode`s reach the viewer as they are).
 */
export function relayConsole(viewer: WebSocket, agent: WebSocket): void {
  forward(viewer, agent)
  forward(agent, viewer)
  const closeOther = (other: WebSocket) => (code: number, reason: Buffer) => {
    if (other.readyState === WebSocket.OPEN || other.readyState === WebSocket.CONNECTING) other.close(sendableCloseCode(code), reason.length <= 123 ? reason : undefined)
  }
  viewer.once('close', closeOther(agent))
  agent.once('close', closeOther(viewer))
  // A reset socket emits 'error' then 'close': the close above does the rest.
  viewer.on('error', () => undefined)
  agent.on('error', () => undefined)
  if (viewer.isPaused) viewer.resume()
}
