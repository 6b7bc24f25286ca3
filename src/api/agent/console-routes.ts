import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { WebSocketServer } from 'ws'
import type { ApiContext } from '../context.js'
import { CONSOLE_WS_OPTIONS, consoleBroker, refuseUpgrade, upgrade } from '../console/console-streams.js'
import { CONSOLE_REQUESTS_PATH, ConsoleRequestsQuerySchema, ConsoleRequestsReplySchema, consoleStreamPath } from '../../agent-api/index.js'
import { Unauthorized } from '../../services/errors.js'

/** The long poll's wait when the agent names none: answer at once. */
const DEFAULT_WAIT_MS = 0

/** `/agent/v1/console-streams/` : the dial-back websockets' path prefix (from the contract). */
const STREAM_PREFIX = consoleStreamPath('')
/** `console-requests` under the agent plugin's prefix. */
const REQUESTS_ROUTE = CONSOLE_REQUESTS_PATH.slice('/agent/v1'.length)

/**
 * `GET /agent/v1/console-requests?wait_ms=`: the viewers waiting for this
 * host's agent to dial back (a long poll; registered inside the agent plugin,
 * so the agent credential check of every agent route applies).
 */
export const consoleRequestRoutes = (ctx: ApiContext): FastifyPluginAsyncTypebox => async (app) => {
  app.get(REQUESTS_ROUTE, { schema: { querystring: ConsoleRequestsQuerySchema, response: { 200: ConsoleRequestsReplySchema } } }, async (req, reply) => {
    // The agent hanging up ends the wait (its requests stay claimable until they time out).
    const hungUp = new AbortController()
    reply.raw.once('close', () => hungUp.abort())
    const requests = await consoleBroker(ctx).take(req.agentHost, req.query.wait_ms ?? DEFAULT_WAIT_MS, hungUp.signal)
    return { requests }
  })
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}

/** The agent credential of an upgrade request, checked as the agent plugin's hook checks it; the host, or null. */
async function authenticatedHost(ctx: ApiContext, req: IncomingMessage): Promise<string | null> {
  const host = req.headers['x-lifeboat-agent-host']
  const credential = req.headers['x-lifeboat-agent-credential']
  if (typeof host !== 'string' || typeof credential !== 'string') return null
  try {
    await ctx.services.agents.authenticate(host, credential)
    return host
  } catch (error) {
    if (error instanceof Unauthorized) return null
    throw error
  }
}

/**
 * The agent's dial-back, `GET /agent/v1/console-streams/{sessionId}` as a
 * websocket on the API listener (a Node upgrade, which Fastify's routes never
 * see): agent credentials as every agent route (401 without), the session
 * must be a pending one of that host (404 otherwise, another host's included);
 * then the broker hands the socket to the waiting viewer. Other upgrade
 * paths get 404 unless another part of the app listens for upgrades too.
 */
export function installConsoleStreams(app: FastifyInstance, ctx: ApiContext): void {
  const wss = new WebSocketServer(CONSOLE_WS_OPTIONS)
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://agent').pathname
    if (!pathname.startsWith(STREAM_PREFIX)) {
      if (app.server.listenerCount('upgrade') === 1) refuseUpgrade(socket, 404, 'Not Found')
      return
    }
    socket.on('error', () => socket.destroy())
    void (async () => {
      const host = await authenticatedHost(ctx, req)
      if (!host) return refuseUpgrade(socket, 401, 'Unauthorized')
      const sessionId = safeDecode(pathname.slice(STREAM_PREFIX.length))
      const claimed = sessionId === null ? null : consoleBroker(ctx).claim(host, sessionId)
      if (!claimed) return refuseUpgrade(socket, 404, 'Not Found')
      const stream = await upgrade(wss, req, socket, head)
      if (!claimed.deliver(stream)) stream.close(1000, 'The viewer is gone.')
    })().catch((error: unknown) => {
      app.log.warn({ err: error }, 'console dial-back failed')
      socket.destroy()
    })
  }
  app.server.on('upgrade', onUpgrade)
  app.addHook('onClose', async () => {
    app.server.off('upgrade', onUpgrade)
    for (const client of wss.clients) client.terminate()
    wss.close()
  })
}
