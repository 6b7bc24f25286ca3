import type { Duplex } from 'node:stream'

/** One viewer of a serial console (in the agent: a dial-back websocket). */
export interface ConsoleViewer {
  /** Guest output for this viewer, one chunk per driver read. */
  send(data: Buffer): void
  /** Ends the viewer's stream with a close code (`ConsoleCloseCode`, or 1001 when the agent stops) and a short reason. */
  close(code: number, reason: string): void
}

/** A viewer's hold on a hub. */
export interface SerialAttachment {
  /** Viewer input for the guest; dropped while the hub reconnects (as keys typed at an unplugged serial line). */
  write(data: Buffer): void
  /** The viewer left; the last one to leave closes the driver stream. */
  detach(): void
}

/** Why a console could not be opened, as the hub acts on it. */
export interface ConsoleFailure {
  code: number
  reason: string
  /** The guest's console will not come back (the domain is gone, the driver has none): viewers are closed. */
  final: boolean
}

/** How a hub reaches its guest's serial console. */
export interface SerialHubOptions {
  /** A new driver stream to the guest's serial port (`VirtDriver.openConsole(id, 'serial')`). */
  open(): Promise<Duplex>
  /** What a failed `open` means. */
  classify(error: unknown): ConsoleFailure
  /** Called once when the hub is done (no viewer left, or closed): the registry forgets it. */
  onDone(): void
  /** First and longest wait between reconnect attempts (ms). */
  retryMs?: number
  maxRetryMs?: number
}

/** Thrown by `attach` when the console cannot be opened for a new viewer. */
export class ConsoleOpenError extends Error {
  readonly failure: ConsoleFailure
  constructor(failure: ConsoleFailure, options?: { cause?: unknown }) {
    super(failure.reason, options)
    this.name = 'ConsoleOpenError'
    this.failure = failure
  }
}

/**
 * One guest's serial console shared by every viewer. A guest has a single
 * serial line (QEMU serves one client of its socket at a time), so the hub
 * holds the one driver stream: guest output goes to every viewer, and any
 * viewer's input goes to the guest. When the stream ends because the guest's
 * process went away (reboot, rescue, unrescue start a new QEMU), the hub
 * reconnects while viewers remain, so a viewer attached before a rescue sees
 * the rescue system boot; a final failure (the domain is gone) closes them.
 */
export class SerialHub {
  readonly #options: Required<SerialHubOptions>
  readonly #viewers = new Set<ConsoleViewer>()
  #stream: Duplex | null = null
  #opening: Promise<void> | null = null
  /** Attaches under way: the hub stays while one may still add a viewer. */
  #pending = 0
  #retryTimer: NodeJS.Timeout | null = null
  #retryDelay: number
  #done = false

  constructor(options: SerialHubOptions) {
    this.#options = { retryMs: 250, maxRetryMs: 2000, ...options }
    this.#retryDelay = this.#options.retryMs
  }

  /** Whether the hub has ended (the registry then makes a new one). */
  get done(): boolean {
    return this.#done
  }

  /** How many viewers are attached. */
  get viewers(): number {
    return this.#viewers.size
  }

  /** Adds a viewer, opening the driver stream first when the hub has none; rejects with `ConsoleOpenError`. */
  async attach(viewer: ConsoleViewer): Promise<SerialAttachment> {
    this.#pending++
    try {
      if (!this.#stream) await this.#connect()
    } catch (error) {
      this.#pending--
      // A hub nobody holds must not linger (nor retry) after a failed first open.
      if (this.#pending === 0 && this.#viewers.size === 0) this.#finish()
      throw error instanceof ConsoleOpenError ? error : new ConsoleOpenError(this.#options.classify(error), { cause: error })
    }
    this.#pending--
    if (this.#done) throw new ConsoleOpenError({ code: 1001, reason: 'console closed', final: true })
    this.#viewers.add(viewer)
    let attached = true
    return {
      write: (data) => {
        if (attached && this.#stream && !this.#stream.destroyed) this.#stream.write(data)
      },
      detach: () => {
        if (!attached) return
        attached = false
        this.#viewers.delete(viewer)
        if (this.#viewers.size === 0 && this.#pending === 0) this.#finish()
      },
    }
  }

  /** Closes every viewer with `code` and ends the hub (the agent stops). */
  close(code: number, reason: string): void {
    const viewers = [...this.#viewers]
    this.#viewers.clear()
    this.#finish()
    for (const viewer of viewers) viewer.close(code, reason)
  }

  #connect(): Promise<void> {
    this.#opening ??= (async () => {
      try {
        const stream = await this.#options.open()
        if (this.#done) {
          stream.destroy()
          throw new ConsoleOpenError({ code: 1001, reason: 'console closed', final: true })
        }
        this.#adopt(stream)
      } finally {
        this.#opening = null
      }
    })()
    return this.#opening
  }

  #adopt(stream: Duplex): void {
    this.#stream = stream
    this.#retryDelay = this.#options.retryMs
    stream.on('data', (chunk: Buffer) => {
      for (const viewer of this.#viewers) viewer.send(chunk)
    })
    // The guest's side went away: 'end' (peer closed) is followed by our own destroy, so 'close' always comes.
    stream.on('end', () => stream.destroy())
    stream.on('error', () => stream.destroy())
    stream.on('close', () => {
      if (this.#stream !== stream) return
      this.#stream = null
      this.#lost()
    })
  }

  /** The stream ended: reconnect while viewers remain. */
  #lost(): void {
    if (this.#done) return
    if (this.#viewers.size === 0 && this.#pending === 0) {
      this.#finish()
      return
    }
    if (this.#retryTimer) return
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null
      if (this.#done || this.#stream) return
      this.#connect().catch((error: unknown) => {
        const failure = error instanceof ConsoleOpenError ? error.failure : this.#options.classify(error)
        if (failure.final) {
          this.close(failure.code, failure.reason)
          return
        }
        this.#retryDelay = Math.min(this.#retryDelay * 2, this.#options.maxRetryMs)
        this.#lost()
      })
    }, this.#retryDelay)
    this.#retryTimer.unref()
  }

  #finish(): void {
    if (this.#done) return
    this.#done = true
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    const stream = this.#stream
    this.#stream = null
    stream?.destroy()
    this.#options.onDone()
  }
}

/** The serial hubs of an agent, one per instance with viewers. */
export class SerialHubs {
  readonly #hubs = new Map<string, SerialHub>()
  readonly #make: (instanceId: string, onDone: () => void) => SerialHub

  /** `make` builds the hub of an instance; it must pass `onDone` on to the hub. */
  constructor(make: (instanceId: string, onDone: () => void) => SerialHub) {
    this.#make = make
  }

  /** Attaches a viewer to the instance's hub (made when there is none). */
  attach(instanceId: string, viewer: ConsoleViewer): Promise<SerialAttachment> {
    let hub = this.#hubs.get(instanceId)
    if (!hub || hub.done) {
      const made = this.#make(instanceId, () => {
        if (this.#hubs.get(instanceId) === made) this.#hubs.delete(instanceId)
      })
      hub = made
      this.#hubs.set(instanceId, made)
    }
    return hub.attach(viewer)
  }

  /** How many hubs are open (for tests). */
  get size(): number {
    return this.#hubs.size
  }

  /** Closes every hub and its viewers. */
  closeAll(code: number, reason: string): void {
    for (const hub of [...this.#hubs.values()]) hub.close(code, reason)
    this.#hubs.clear()
  }
}
