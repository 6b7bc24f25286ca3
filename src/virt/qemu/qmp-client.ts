import net from 'node:net'
import { EventEmitter } from 'node:events'
import { DriverError } from '../virt-driver.js'
import { DriverErrorCode } from '../error-codes.js'

/** An asynchronous QMP event (`SHUTDOWN`, `POWERDOWN`, `DEVICE_DELETED`, …). */
export interface QmpEvent {
  event: string
  data?: Record<string, unknown>
  timestamp?: { seconds: number; microseconds: number }
}

/** A QMP command failed: QEMU's error class and description. */
export class QmpError extends DriverError {
  readonly errorClass: string
  constructor(command: string, errorClass: string, description: string) {
    super(`QMP ${command} failed: ${description}`, { code: DriverErrorCode.QMP_ERROR })
    this.name = 'QmpError'
    this.errorClass = errorClass
  }
}

interface Pending {
  command: string
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/**
 * A small QMP client over a unix socket: one JSON object per line, replies
 * matched to commands by `id`, events emitted as `event`. QEMU serves one
 * QMP client at a time, so callers keep sessions short (see `withQmp`).
 */
export class QmpClient extends EventEmitter {
  readonly #socket: net.Socket
  readonly #pending = new Map<string, Pending>()
  #buffer = ''
  #nextId = 1
  #closed = false
  /** Resolves when the connection is gone (QEMU exited or `close()`). */
  readonly closed: Promise<void>

  private constructor(socket: net.Socket) {
    super()
    this.#socket = socket
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.#onData(chunk))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      this.#closed = true
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer)
        pending.reject(new DriverError(`QMP connection closed during ${pending.command}`, { code: DriverErrorCode.QMP_CLOSED }))
      }
      this.#pending.clear()
    })
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(socketPath: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(socketPath)
      const timer = setTimeout(() => { s.destroy(); reject(new DriverError(`QMP connect to ${socketPath} timed out`, { code: DriverErrorCode.QMP_TIMEOUT })) }, timeoutMs)
      s.once('connect', () => { clearTimeout(timer); resolve(s) })
      s.once('error', (error) => { clearTimeout(timer); reject(new DriverError(`QMP connect to ${socketPath} failed`, { cause: error, code: DriverErrorCode.QMP_UNREACHABLE })) })
    })
    const client = new QmpClient(socket)
    try {
      await client.#greeting(timeoutMs)
      await client.execute('qmp_capabilities', undefined, timeoutMs)
    } catch (error) {
      client.close()
      throw error
    }
    return client
  }

  #greeted = false
  #onGreeting: (() => void) | null = null

  #greeting(timeoutMs: number): Promise<void> {
    if (this.#greeted) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new DriverError('no QMP greeting', { code: DriverErrorCode.QMP_TIMEOUT })), timeoutMs)
      this.#onGreeting = () => { clearTimeout(timer); resolve() }
      void this.closed.then(() => { clearTimeout(timer); reject(new DriverError('QMP connection closed before the greeting', { code: DriverErrorCode.QMP_CLOSED })) })
    })
  }

  #onData(chunk: string): void {
    this.#buffer += chunk
    let newline: number
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, newline).trim()
      this.#buffer = this.#buffer.slice(newline + 1)
      if (line) this.#onMessage(line)
    }
  }

  #onMessage(line: string): void {
    let message: Record<string, unknown>
    try {
      message = JSON.parse(line) as Record<string, unknown>
    } catch {
      return
    }
    if ('QMP' in message) {
      this.#greeted = true
      this.#onGreeting?.()
      return
    }
    if (typeof message.event === 'string') {
      this.emit('event', message as unknown as QmpEvent)
      return
    }
    const id = typeof message.id === 'string' ? message.id : null
    const pending = id ? this.#pending.get(id) : undefined
    if (!pending || !id) return
    this.#pending.delete(id)
    clearTimeout(pending.timer)
    const error = message.error as { class?: string; desc?: string } | undefined
    if (error) pending.reject(new QmpError(pending.command, error.class ?? 'GenericError', error.desc ?? 'unknown error'))
    else pending.resolve(message.return)
  }

  /** Runs one command; resolves with its `return` value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    if (this.#closed) return Promise.reject(new DriverError(`QMP connection closed before ${command}`, { code: DriverErrorCode.QMP_CLOSED }))
    const id = `lb-${this.#nextId++}`
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new DriverError(`QMP ${command} timed out`, { code: DriverErrorCode.QMP_TIMEOUT }))
      }, timeoutMs)
      this.#pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject, timer })
      this.#socket.write(`${JSON.stringify(args === undefined ? { execute: command, id } : { execute: command, arguments: args, id })}\n`)
    })
  }

  /** Waits for the first event named `name` (and matching `accept`), or rejects after `timeoutMs`. */
  waitForEvent(name: string, timeoutMs: number, accept: (event: QmpEvent) => boolean = () => true): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const onEvent = (event: QmpEvent) => {
        if (event.event !== name || !accept(event)) return
        clearTimeout(timer)
        this.off('event', onEvent)
        resolve(event)
      }
      const timer = setTimeout(() => {
        this.off('event', onEvent)
        reject(new DriverError(`no QMP ${name} event within ${timeoutMs} ms`, { code: DriverErrorCode.QMP_TIMEOUT }))
      }, timeoutMs)
      this.on('event', onEvent)
    })
  }

  /** Closes the connection (QEMU keeps running). */
  close(): void {
    this.#socket.end()
    this.#socket.destroy()
  }
}

/** Opens a short QMP session, runs `work`, and always closes it. */
export async function withQmp<T>(socketPath: string, work: (qmp: QmpClient) => Promise<T>, connectTimeoutMs = 5000): Promise<T> {
  const qmp = await QmpClient.connect(socketPath, connectTimeoutMs)
  try {
    return await work(qmp)
  } finally {
    qmp.close()
  }
}
