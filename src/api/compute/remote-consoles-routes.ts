import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { isAtLeast } from '../common/microversion.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { callOf } from './server-route-helpers.js'
import { accessUrlBaseFor } from './console-urls.js'
import { WEBOB_BAD_REQUEST } from './server-console-actions.js'
import { ServerIdParams } from './schemas/servers.js'
import { ConsoleAuthTokenResponse, RemoteConsoleResponse, parseRemoteConsoleBody } from './schemas/remote-consoles.js'

const TokenParams = Type.Object({ token: Type.String() })

/**
 * Nova's `remote-consoles` (2.6+) and `os-console-auth-tokens` (admin). The
 * body is checked in the handler, after the token and the microversion, as
 * Nova checks a method's versions before its schema.
 */
export function remoteConsolesRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/servers/:id/remote-consoles', { schema: { params: ServerIdParams, response: RemoteConsoleResponse } }, async (req) => {
      if (!isAtLeast(req.microversion, '2.6')) throw new NotFound('The resource could not be found.')
      const { protocol, type } = parseRemoteConsoleBody(req.body, req.microversion)
      const { url } = await ctx.services.compute.remoteConsole(callOf(req), req.params.id, { protocol, type, accessUrlBase: accessUrlBaseFor(ctx, req) })
      return { remote_console: { protocol, type, url } }
    })

    // Up to 2.30 only RDP tokens were shown, and RDP is gone: Nova answers every one with its bare 400.
    app.get('/os-console-auth-tokens/:token', { schema: { params: TokenParams, response: ConsoleAuthTokenResponse } }, async (req) => {
      if (!isAtLeast(req.microversion, '2.31')) throw new InvalidRequest(WEBOB_BAD_REQUEST)
      const token = await ctx.services.compute.consoleToken(callOf(req), req.params.token)
      // Lifeboat's own values: the port viewers connect to (the console proxy's; the agent reaches the guest),
      // and no internal path (the proxy asks the instance's agent, not a hypervisor socket).
      const port = ctx.consoleProxyPort() ?? (Number(new URL(token.accessUrlBase).port) || null)
      return { console: { instance_uuid: token.instanceUuid, host: token.host, port, internal_access_path: null } }
    })
  }
}
