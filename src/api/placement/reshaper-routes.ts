import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { withInventoryDefaults } from '../../services/placement/db-types.js'
import { Reshape130, Reshape134, Reshape138 } from './schemas.js'
import { atLeast, methodNotAllowed, parseBody, requireVersion } from './request-helpers.js'
import { canonicalUuid } from '../../util/uuid.js'

/** `POST /reshaper` (1.30+): inventories and allocations moved in one transaction. */
export function reshaperRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const placement = ctx.services.placement
  return async (app) => {
    app.post('/reshaper', async (req, reply) => {
      requireVersion(req, '1.30')
      authorize(req.auth, 'placement:reshaper:reshape', 'admin')
      const body = atLeast(req, '1.38') ? parseBody(req, Reshape138) : atLeast(req, '1.34') ? parseBody(req, Reshape134) : parseBody(req, Reshape130)
      const inventories = Object.fromEntries(Object.entries(body.inventories).map(([uuid, entry]) => [canonicalUuid(uuid), {
        generation: entry.resource_provider_generation,
        inventories: Object.fromEntries(Object.entries(entry.inventories).map(([rc, inv]) => [rc, withInventoryDefaults(inv)])),
      }]))
      const allocations = Object.entries(body.allocations).map(([consumer, entry]) => ({
        consumerUuid: canonicalUuid(consumer),
        allocations: Object.fromEntries(Object.entries(entry.allocations).map(([rp, a]) => [canonicalUuid(rp), a.resources])),
        projectId: entry.project_id,
        userId: entry.user_id,
        consumerGeneration: entry.consumer_generation,
        consumerType: (entry as { consumer_type?: string }).consumer_type,
      }))
      await placement.reshape({ inventories, allocations })
      return reply.status(204).send()
    })
    methodNotAllowed(app, '/reshaper', ['POST'])
  }
}
