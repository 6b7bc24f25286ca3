import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { atLeast, checkQueryKeys, methodNotAllowed, queryLast, requireVersion } from './request-helpers.js'
import { ProviderUsagesResponse, UsagesResponse } from './response-schemas.js'

const UuidParams = Type.Object({ uuid: Type.String() })

/** Usages of a provider and of a project (handlers/usage.py). */
export function usageRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const placement = ctx.services.placement
  return async (app) => {
    app.get('/resource_providers/:uuid/usages', { schema: { params: UuidParams, response: ProviderUsagesResponse } }, async (req) => {
      authorize(req.auth, 'placement:resource_providers:usages', 'admin')
      try {
        const { generation, usages } = await placement.getProviderUsages(req.params.uuid)
        return { resource_provider_generation: generation, usages }
      } catch (error) {
        if (error instanceof NotFound) throw new NotFound(`No resource provider with uuid ${req.params.uuid} found: ${error.message}`, error.code)
        throw error
      }
    })
    methodNotAllowed(app, '/resource_providers/:uuid/usages', ['GET'])

    app.get('/usages', { schema: { response: UsagesResponse } }, async (req) => {
      requireVersion(req, '1.9')
      authorize(req.auth, 'placement:usages', 'admin')
      const byType = atLeast(req, '1.38')
      checkQueryKeys(req, byType ? ['project_id', 'user_id', 'consumer_type'] : ['project_id', 'user_id'])
      const projectId = queryLast(req, 'project_id')
      if (projectId === undefined) throw new InvalidRequest("Invalid query string parameters: 'project_id' is a required property")
      const userId = queryLast(req, 'user_id')
      for (const [key, value] of [['project_id', projectId], ['user_id', userId]] as const) {
        if (value !== undefined && (value.length < 1 || value.length > 255)) throw new InvalidRequest(`Invalid query string parameters: '${value}' is too short or too long for ${key}`)
      }
      if (!byType) return { usages: await placement.getTotalUsages(projectId, userId) }
      const consumerType = queryLast(req, 'consumer_type')
      if (consumerType !== undefined && !/^([A-Z0-9_]+|all|unknown)$/.test(consumerType)) {
        throw new InvalidRequest(`Invalid query string parameters: '${consumerType}' does not match '^[A-Z0-9_]+$|^all|^unknown$'`)
      }
      return { usages: await placement.getUsagesByConsumerType(projectId, userId, consumerType) }
    })
    methodNotAllowed(app, '/usages', ['GET'])
  }
}
