import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { requestToken } from '../common/auth.js'
import { Forbidden, Unauthorized } from '../../services/errors.js'

const SERVICES = new Set(['identity', 'compute', 'image', 'volume', 'placement', 'agent', 'metrics'])

/** The service a request went to: its path's first segment when that names one, else `other`. */
function serviceOf(url: string): string {
  const first = url.split('/', 2)[1]?.split('?', 1)[0] ?? ''
  return SERVICES.has(first) ? first : 'other'
}

/** The token a scraper sends: `Authorization: Bearer …` (Prometheus' own setting) or `X-Auth-Token`. */
function scrapeToken(req: FastifyRequest): string | undefined {
  const authorization = req.headers.authorization
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined
  return bearer ?? requestToken(req.headers)
}

/**
 * `GET /metrics` for Prometheus, and the hook that times every request. Call
 * on the root app before the services' plugins, so the hook sees them all.
 * Only the operator reads it: an admin token, or LIFEBOAT_METRICS_TOKEN.
 */
export function installMetrics(app: FastifyInstance, ctx: ApiContext): void {
  const metrics = ctx.services.metrics
  app.addHook('onResponse', async (req, reply) => {
    // The route's pattern (`/compute/v2.1/servers/:id`), never the raw URL: the labels stay few.
    const route = req.routeOptions.url ?? 'unmatched'
    metrics.observeRequest({ service: serviceOf(req.url), route, method: req.method, statusCode: reply.statusCode }, reply.elapsedTime / 1000)
  })
  // The Prometheus text format, not JSON: no response schema (the route-schema rule's allowlist says so).
  app.get('/metrics', async (req, reply) => {
    const token = scrapeToken(req)
    if (!token) throw new Unauthorized()
    if (!metrics.isOperatorToken(token)) {
      const auth = await ctx.services.tokens.validate(token)
      if (!auth.isAdmin) throw new Forbidden('Metrics are for the operator: use an admin token or LIFEBOAT_METRICS_TOKEN.')
    }
    const { contentType, body } = await metrics.scrape()
    return reply.type(contentType).send(body)
  })
}
