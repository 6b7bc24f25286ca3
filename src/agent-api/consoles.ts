/**
 * Interactive consoles between the control plane and an agent. The agent, not
 * the control plane, touches a guest's console sockets; the control plane's
 * console proxy reaches them through the agent that runs the guest:
 *
 * 1. A viewer connects to the console proxy with a valid token; the proxy asks
 *    the broker for a stream to (instance, console) on the instance's host.
 * 2. The agent learns of the request by its long poll
 *    `GET /agent/v1/console-requests` (`ConsoleRequestsReplySchema`) — a side
 *    channel, not a task: a console must open while a rescue task runs.
 * 3. The agent dials back `GET /agent/v1/console-streams/{sessionId}` as a
 *    websocket (the same agent credential headers as every agent route) and
 *    relays raw bytes both ways in binary frames: guest output → control
 *    plane, viewer input → guest. The serial console is one connection held by
 *    the agent and shared by every stream of that instance (fan-out); VNC is a
 *    connection per stream.
 * 4. If the agent cannot open the console it closes the websocket with one of
 *    `ConsoleCloseCode` and a short reason.
 */
import { Type, type Static } from '@sinclair/typebox'

/** The two consoles a guest has. */
export const ConsoleKindSchema = Type.Union([Type.Literal('serial'), Type.Literal('vnc')])
export type ConsoleKind = Static<typeof ConsoleKindSchema>

/** One viewer waiting for the agent to dial back. */
export const ConsoleRequestSchema = Type.Object({
  sessionId: Type.String({ minLength: 1, maxLength: 64 }),
  instanceUuid: Type.String({ minLength: 1, maxLength: 64 }),
  console: ConsoleKindSchema,
}, { additionalProperties: false })
export type ConsoleRequest = Static<typeof ConsoleRequestSchema>

/** `GET /agent/v1/console-requests?wait_ms=` (long poll, at most `CONSOLE_REQUESTS_MAX_WAIT_MS`). */
export const ConsoleRequestsQuerySchema = Type.Object({
  wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000 })),
}, { additionalProperties: false })
export type ConsoleRequestsQuery = Static<typeof ConsoleRequestsQuerySchema>

export const ConsoleRequestsReplySchema = Type.Object({
  requests: Type.Array(ConsoleRequestSchema),
}, { additionalProperties: false })
export type ConsoleRequestsReply = Static<typeof ConsoleRequestsReplySchema>

export const CONSOLE_REQUESTS_PATH = '/agent/v1/console-requests'
/** The agent's dial-back websocket for one session. */
export const consoleStreamPath = (sessionId: string): string => `/agent/v1/console-streams/${encodeURIComponent(sessionId)}`

/** Websocket close codes (application range 4000-4999) the agent uses when a stream cannot be served. */
export const ConsoleCloseCode = {
  /** The instance is not on this host (or gone). */
  NO_INSTANCE: 4404,
  /** The guest does not run, so it has no console now. */
  NOT_RUNNING: 4409,
  /** The driver has no console of this kind. */
  UNSUPPORTED: 4501,
  /** The console socket could not be opened. */
  FAILED: 4500,
} as const
