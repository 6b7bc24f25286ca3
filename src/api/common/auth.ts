import type { FastifyInstance } from 'fastify'
import type { AuthContext } from '../../services/identity/auth-context.js'
import { Unauthorized } from '../../services/errors.js'
import type { TokenService } from '../../services/identity/tokens.js'
import { firstValue } from '../../util/query-values.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; set by the auth hook on every protected route. */
    auth: AuthContext
  }
}

/** The token a request carries in `X-Auth-Token`. */
export function requestToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  return firstValue(headers['x-auth-token'])
}

/**
 * Requires a valid token on every route of the plugin, except routes whose
 * config says `public: true` (version documents, token creation).
 */
export function installTokenCheck(app: FastifyInstance, tokens: TokenService): void {
  app.addHook('preHandler', async (req) => {
    if ((req.routeOptions.config as { public?: boolean } | undefined)?.public) return
    const token = requestToken(req.headers)
    if (!token) throw new Unauthorized()
    req.auth = await tokens.validate(token)
  })
}
