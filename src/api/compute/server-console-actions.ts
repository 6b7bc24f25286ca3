import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import type { ConsoleProtocol } from '../../services/compute/remote-consoles.js'
import { InvalidRequest } from '../../services/errors.js'
import { callOf } from './server-route-helpers.js'
import { accessUrlBaseFor } from './console-urls.js'

/** The ≤ 2.5 console actions end here: from 2.6 they are 404, as any method outside its versions in Nova. */
export const CONSOLE_ACTIONS_REMOVED_AT = '2.6'

/** webob's text for a bare `HTTPBadRequest()`, which Nova raises for the removed RDP console. */
export const WEBOB_BAD_REQUEST = 'The server could not comply with the request since it is either malformed or otherwise incorrect.'

type ConsoleActionHandler = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body: Record<string, unknown> | null) => Promise<unknown>

/**
 * `os-getVNCConsole`, `os-getSerialConsole`, `os-getSPICEConsole` (≤ 2.5):
 * `{"console": {"type", "url"}}` with Nova's refusals (SPICE is not enabled);
 * `os-getRDPConsole` is Nova's bare 400 since the Hyper-V driver went.
 */
export function consoleActionHandlers(ctx: ApiContext): Record<string, ConsoleActionHandler> {
  const console = (protocol: ConsoleProtocol): ConsoleActionHandler => async (req, reply, body) => {
    const type = String(body!.type)
    const { url } = await ctx.services.compute.remoteConsole(callOf(req), req.params.id, { protocol, type, accessUrlBase: accessUrlBaseFor(ctx, req) })
    reply.status(200)
    return { console: { type, url } }
  }
  return {
    'os-getVNCConsole': console('vnc'),
    'os-getSPICEConsole': console('spice'),
    'os-getSerialConsole': console('serial'),
    'os-getRDPConsole': async () => {
      throw new InvalidRequest(WEBOB_BAD_REQUEST)
    },
  }
}
