import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { installErrorHandling } from '../common/error-handling.js'
import { novaEnvelope } from '../common/envelopes.js'
import { installTokenCheck } from '../common/auth.js'
import { diagnosisRoutes } from './diagnosis-routes.js'
import { rescueRunRoutes } from './rescue-run-routes.js'
import { LifeboatVersionResponse } from './response-schemas.js'

/**
 * `/lifeboat/v1`: Lifeboat's own resources beside the OpenStack APIs (Nova
 * clients stay untouched): a server's diagnosis now, rescue runs next. Its
 * resources are servers' business, so it answers Nova's error envelope
 * (`{"itemNotFound": {"code": 404, "message": …}}`) and takes Keystone tokens
 * like every service. No microversions: a change is a new path.
 */
export function lifeboatPlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    installErrorHandling(app, novaEnvelope)
    installTokenCheck(app, ctx.services.tokens)
    app.get('/v1', { config: { public: true }, schema: { response: LifeboatVersionResponse } }, async () => ({
      version: { id: 'v1', status: 'CURRENT', links: [{ rel: 'self', href: `${ctx.publicUrl()}/lifeboat/v1` }] },
    }))
    await app.register(diagnosisRoutes(ctx), { prefix: '/v1' })
    await app.register(rescueRunRoutes(ctx), { prefix: '/v1' })
  }
}
