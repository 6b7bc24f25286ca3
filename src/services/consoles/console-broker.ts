import { randomUUID } from 'node:crypto'
import type { ConsoleKind, ConsoleRequest } from '../../agent-api/index.js'

/** How long a viewer waits for the agent to dial back before the proxy gives up. */
export const CONSOLE_DIAL_BACK_TIMEOUT_MS = 10_000

/** A viewer's request as the proxy holds it until the agent dials back. */
export interface PendingConsoleStream<S> {
  readonly sessionId: string
  /** The agent's end once it dialed back, or null: not picked up in time, cancelled, or the broker closed. */
  readonly stream: Promise<S | null>
  /** The viewer went away first: forget the request (a late dial-back is refused). */
  cancel(): void
}

/** A session an agent claimed by dialing back: hand it its end of the stream. */
export interface ClaimedConsoleSession<S> {
  readonly request: ConsoleRequest
  /** False when the viewer gave up in the meantime: the caller closes `stream` itself. */
  deliver(stream: S): boolean
}

interface Session<S> {
  host: string
  request: ConsoleRequest
  /** Served to an agent's long poll already (it stays claimable until it times out). */
  served: boolean
  claimed: boolean
  timer: NodeJS.Timeout
  settle(stream: S | null): void
}

interface Poll {
  host: string
  wake(): void
}

/**
 * The control plane's side of the console dial-back (`src/agent-api/consoles.ts`),
 * in memory: a viewer asks for a stream to (host, instance, console) and gets a
 * pending session with a random id; the host's agent learns of it by its long
 * poll (`take`), dials back with the id (`claim`), and the proxy gets the
 * agent's end. A session belongs to one host: another host's agent cannot
 * claim it. Generic over the stream type so that this layer knows no transport
 * (the API layer's websocket is `S`).
 */
export class ConsoleBroker<S> {
  readonly #sessions = new Map<string, Session<S>>()
  readonly #polls = new Set<Poll>()
  readonly #timeoutMs: number
  #closed = false

  constructor(timeoutMs = CONSOLE_DIAL_BACK_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs
  }

  /** Asks `host`'s agent for a stream to `instanceUuid`'s `console`; null-settles after the dial-back timeout. */
  request(host: string, instanceUuid: string, console: ConsoleKind): PendingConsoleStream<S> {
    const sessionId = randomUUID()
    let settle: (stream: S | null) => void = () => undefined
    const stream = new Promise<S | null>((resolve) => { settle = resolve })
    if (this.#closed) {
      settle(null)
      return { sessionId, stream, cancel: () => undefined }
    }
    const session: Session<S> = {
      host,
      request: { sessionId, instanceUuid, console },
      served: false,
      claimed: false,
      timer: setTimeout(() => this.#end(sessionId, null), this.#timeoutMs),
      settle,
    }
    session.timer.unref()
    this.#sessions.set(sessionId, session)
    for (const poll of this.#polls) if (poll.host === host) poll.wake()
    return { sessionId, stream, cancel: () => this.#end(sessionId, null) }
  }

  /**
   * The requests for `host` not yet served to one of its long polls; waits up to
   * `waitMs` for one when there are none (an empty list then). `signal` ends
   * the wait early (the agent hung up).
   */
  async take(host: string, waitMs: number, signal?: AbortSignal): Promise<ConsoleRequest[]> {
    const now = this.#unserved(host)
    if (now.length > 0 || waitMs <= 0 || this.#closed || signal?.aborted) return now
    await new Promise<void>((resolve) => {
      const poll: Poll = { host, wake: () => done() }
      const timer = setTimeout(() => done(), waitMs)
      const done = () => {
        clearTimeout(timer)
        this.#polls.delete(poll)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      this.#polls.add(poll)
      signal?.addEventListener('abort', done, { once: true })
    })
    return signal?.aborted ? [] : this.#unserved(host)
  }

  /** The agent of `host` dials back for `sessionId`: its session (once), or null when unknown, taken or another host's. */
  claim(host: string, sessionId: string): ClaimedConsoleSession<S> | null {
    const session = this.#sessions.get(sessionId)
    if (!session || session.host !== host || session.claimed) return null
    session.claimed = true
    return {
      request: session.request,
      deliver: (stream) => {
        if (this.#sessions.get(sessionId) !== session) return false
        this.#end(sessionId, stream)
        return true
      },
    }
  }

  /** Sessions waiting for a dial-back (for tests and metrics). */
  get pendingCount(): number {
    return this.#sessions.size
  }

  /** Stops: every waiting viewer gets null, every long poll returns. */
  close(): void {
    this.#closed = true
    for (const id of [...this.#sessions.keys()]) this.#end(id, null)
    for (const poll of [...this.#polls]) poll.wake()
  }

  #unserved(host: string): ConsoleRequest[] {
    const found: ConsoleRequest[] = []
    for (const session of this.#sessions.values()) {
      if (session.host !== host || session.served) continue
      session.served = true
      found.push(session.request)
    }
    return found
  }

  #end(sessionId: string, stream: S | null): void {
    const session = this.#sessions.get(sessionId)
    if (!session) return
    this.#sessions.delete(sessionId)
    clearTimeout(session.timer)
    session.settle(stream)
  }
}

/** The least the broker's users know of an agent's end without knowing its transport: it can be closed. */
export interface ConsoleDialBack {
  close(code?: number, reason?: string): void
}
