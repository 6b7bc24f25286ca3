import type { Duplex } from 'node:stream'
import type WebSocket from 'ws'
import { ConsoleCloseCode, type ConsoleKind, type ConsoleRequest } from '../../agent-api/consoles.js'
import { DriverErrorCode } from '../../virt/error-codes.js'
import type { VirtDriver } from '../../virt/virt-driver.js'
import type { AgentLog } from '../compute-agent.js'
import { ConsoleOpenError, SerialHub, SerialHubs, type ConsoleFailure, type ConsoleViewer, type SerialAttachment } from './serial-hub.js'

/** What the relay needs of the agent API client. */
export interface ConsoleChannel {
  consoleRequests(waitMs: number, signal?: AbortSignal): Promise<ConsoleRequest[]>
  openConsoleStream(sessionId: string): WebSocket
}

export interface ConsoleRelayOptions {
  api: ConsoleChannel
  driver: Pick<VirtDriver, 'openConsole'>
  log: AgentLog
  /** Long-poll wait (ms) per request; the contract allows up to 30 s. */
  waitMs?: number
  /** Backoff after a failed poll: first and longest wait (ms). */
  retryMs?: number
  maxRetryMs?: number
}

/** A running relay. */
export interface ConsoleRelay {
  /** Stops polling and closes every stream and hub. */
  stop(): Promise<void>
}

/** The websocket close code of a stream the agent leaves because it stops. */
const GOING_AWAY = 1001
/** A websocket close reason holds at most 123 bytes. */
const MAX_REASON = 120

function shortReason(reason: string): string {
  return Buffer.byteLength(reason) <= MAX_REASON ? reason : `${Buffer.from(reason).subarray(0, MAX_REASON - 3).toString('utf8').replace(/\uFFFD$/, '')}...`
}

/** What a driver's failure to open a console means for the viewer. */
export function consoleFailure(error: unknown, console: ConsoleKind): ConsoleFailure {
  const code = (error as { code?: unknown } | null)?.code
  switch (code) {
    case DriverErrorCode.DOMAIN_NOT_FOUND:
      return { code: ConsoleCloseCode.NO_INSTANCE, reason: 'instance not on this host', final: true }
    case DriverErrorCode.CONSOLE_NOT_RUNNING: case DriverErrorCode.DOMAIN_NOT_RUNNING:
      return { code: ConsoleCloseCode.NOT_RUNNING, reason: 'instance not running', final: false }
    case DriverErrorCode.CONSOLE_UNSUPPORTED:
      return { code: ConsoleCloseCode.UNSUPPORTED, reason: `no ${console} console`, final: true }
    default:
      return { code: ConsoleCloseCode.FAILED, reason: `${console} console unavailable`, final: false }
  }
}

/**
 * The agent's side of interactive consoles: long-polls the control plane for
 * viewers waiting on this host's guests, dials each one back as a websocket
 * and relays raw bytes in binary frames. Serial streams of an instance share
 * its `SerialHub`; a VNC stream has a driver stream of its own. A console
 * that cannot be opened closes the websocket with a `ConsoleCloseCode`.
 */
export function startConsoleRelay(options: ConsoleRelayOptions): ConsoleRelay {
  const { api, driver, log } = options
  const waitMs = options.waitMs ?? 20_000
  const retryMs = options.retryMs ?? 1000
  const maxRetryMs = options.maxRetryMs ?? 30_000
  const abort = new AbortController()
  const sockets = new Set<WebSocket>()
  const vncStreams = new Set<Duplex>()
  const hubs = new SerialHubs((instanceId, onDone) => new SerialHub({
    open: () => driver.openConsole(instanceId, 'serial'),
    classify: (error) => consoleFailure(error, 'serial'),
    onDone,
  }))
  let stopped = false

  const closeWith = (ws: WebSocket, failure: { code: number; reason: string }) => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(failure.code, shortReason(failure.reason))
  }

  /** Input that arrives before the console is open is kept and written once it is. */
  const relayInput = (ws: WebSocket): { drainTo(write: (data: Buffer) => void): void } => {
    let queued: Buffer[] | null = []
    let target: ((data: Buffer) => void) | null = null
    ws.on('message', (data: Buffer) => {
      if (target) target(data)
      else queued?.push(data)
    })
    return {
      drainTo(write) {
        for (const data of queued ?? []) write(data)
        queued = null
        target = write
      },
    }
  }

  const serveSerial = async (ws: WebSocket, request: ConsoleRequest): Promise<void> => {
    const input = relayInput(ws)
    const viewer: ConsoleViewer = {
      send: (data) => {
        if (ws.readyState === ws.OPEN) ws.send(data, { binary: true })
      },
      close: (code, reason) => closeWith(ws, { code, reason }),
    }
    let attachment: SerialAttachment
    try {
      attachment = await hubs.attach(request.instanceUuid, viewer)
    } catch (error) {
      const failure = error instanceof ConsoleOpenError ? error.failure : consoleFailure(error, 'serial')
      log.info({ server: request.instanceUuid, code: failure.code }, `serial console of server ${request.instanceUuid} not opened: ${failure.reason}`)
      closeWith(ws, failure)
      return
    }
    if (ws.readyState !== ws.OPEN) {
      attachment.detach()
      return
    }
    ws.on('close', () => attachment.detach())
    input.drainTo((data) => attachment.write(data))
  }

  const serveVnc = async (ws: WebSocket, request: ConsoleRequest): Promise<void> => {
    const input = relayInput(ws)
    let stream: Duplex
    try {
      stream = await driver.openConsole(request.instanceUuid, 'vnc')
    } catch (error) {
      const failure = consoleFailure(error, 'vnc')
      log.info({ server: request.instanceUuid, code: failure.code }, `VNC console of server ${request.instanceUuid} not opened: ${failure.reason}`)
      closeWith(ws, failure)
      return
    }
    if (ws.readyState !== ws.OPEN) {
      stream.destroy()
      return
    }
    vncStreams.add(stream)
    // Each read goes out as its own frame: RFB readers (Tempest's) expect one message per frame.
    stream.on('data', (chunk: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true })
    })
    stream.on('error', () => stream.destroy())
    stream.on('end', () => stream.destroy())
    stream.on('close', () => {
      vncStreams.delete(stream)
      if (!stopped) closeWith(ws, { code: 1000, reason: 'console closed' })
    })
    ws.on('close', () => stream.destroy())
    input.drainTo((data) => {
      if (!stream.destroyed) stream.write(data)
    })
  }

  const serve = (request: ConsoleRequest): void => {
    let ws: WebSocket
    try {
      ws = api.openConsoleStream(request.sessionId)
    } catch (error) {
      log.warn({ err: error, server: request.instanceUuid }, 'console stream dial-back failed')
      return
    }
    sockets.add(ws)
    ws.on('close', () => sockets.delete(ws))
    ws.on('error', (error) => log.warn({ err: error, server: request.instanceUuid }, `console stream of server ${request.instanceUuid} failed`))
    ws.once('open', () => {
      const served = request.console === 'serial' ? serveSerial(ws, request) : serveVnc(ws, request)
      served.catch((error: unknown) => {
        log.warn({ err: error, server: request.instanceUuid }, 'console stream failed')
        closeWith(ws, { code: ConsoleCloseCode.FAILED, reason: `${request.console} console unavailable` })
      })
    })
  }

  const loop = (async () => {
    let delay = retryMs
    let failing = false
    while (!stopped) {
      try {
        const requests = await api.consoleRequests(waitMs, abort.signal)
        if (failing) log.info({}, 'console requests answer again')
        failing = false
        delay = retryMs
        for (const request of requests) serve(request)
      } catch (error) {
        if (stopped) break
        // One line per outage, not one per retry; a control plane without console routes (404) is no fault of the agent's.
        if (!failing && (error as { status?: unknown }).status === 404) log.info({}, 'the control plane serves no console requests; polling again with backoff')
        else if (!failing) log.warn({ err: error }, 'console requests poll failed; retrying with backoff')
        failing = true
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay)
          abort.signal.addEventListener('abort', () => {
            clearTimeout(timer)
            resolve()
          }, { once: true })
        })
        delay = Math.min(delay * 2, maxRetryMs)
      }
    }
  })()

  return {
    async stop() {
      stopped = true
      abort.abort()
      await loop
      hubs.closeAll(GOING_AWAY, 'agent stopping')
      for (const stream of vncStreams) stream.destroy()
      for (const ws of sockets) closeWith(ws, { code: GOING_AWAY, reason: 'agent stopping' })
      // Sockets that do not finish their closing handshake soon are cut.
      if (sockets.size > 0) await new Promise((resolve) => setTimeout(resolve, 50))
      for (const ws of sockets) ws.terminate()
    },
  }
}
