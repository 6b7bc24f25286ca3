import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { installMicroversions } from '../common/microversion.js'
import { installTokenCheck } from '../common/auth.js'
import { installPlacementErrors, PLACEMENT_MAX_VERSION, PLACEMENT_MIN_VERSION } from './placement-error-handler.js'
import { atLeast } from './request-helpers.js'
import { providerRoutes } from './provider-routes.js'
import { inventoryRoutes } from './inventory-routes.js'
import { traitRoutes } from './trait-routes.js'
import { resourceClassRoutes } from './resource-class-routes.js'
import { allocationRoutes } from './allocation-routes.js'
import { usageRoutes } from './usage-routes.js'
import { candidateRoutes } from './candidate-routes.js'
import { reshaperRoutes } from './reshaper-routes.js'
import { RootResponse } from './response-schemas.js'

/**
 * `/placement`: the Placement API up to microversion 1.39, with Placement's
 * error envelope; everything but the root needs a token and the admin role
 * (Placement's default policy).
 */
export function placementPlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    installPlacementErrors(app)
    installMicroversions(app, { service: 'placement', min: PLACEMENT_MIN_VERSION, max: PLACEMENT_MAX_VERSION })
    installTokenCheck(app, ctx.services.tokens)
    // 1.15: successful responses say when they were made and that they must not be cached.
    app.addHook('onSend', async (req, reply) => {
      if (req.microversion && atLeast(req, '1.15') && reply.statusCode < 300 && req.method !== 'DELETE') {
        reply.header('cache-control', 'no-cache')
        reply.header('last-modified', new Date().toUTCString())
      }
    })
    // handlers/root.py: the link is relative on purpose ("this same URL").
    app.get('/', { config: { public: true }, schema: { response: RootResponse } }, async () => ({
      versions: [{
        id: `v${PLACEMENT_MIN_VERSION}`, max_version: PLACEMENT_MAX_VERSION, min_version: PLACEMENT_MIN_VERSION,
        status: 'CURRENT', links: [{ rel: 'self', href: '' }],
      }],
    }))
    await app.register(providerRoutes(ctx))
    await app.register(inventoryRoutes(ctx))
    await app.register(traitRoutes(ctx))
    await app.register(resourceClassRoutes(ctx))
    await app.register(allocationRoutes(ctx))
    await app.register(usageRoutes(ctx))
    await app.register(candidateRoutes(ctx))
    await app.register(reshaperRoutes(ctx))
  }
}
