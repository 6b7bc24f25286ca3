import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import type { ConsumerAllocations } from '../../services/placement/placement-service.js'
import {
  AllocationDict112, AllocationDict128, AllocationDict134, AllocationDict138, AllocationList10, AllocationList18,
  AllocationsPost113, AllocationsPost128, AllocationsPost134, AllocationsPost138,
} from './schemas.js'
import { atLeast, methodNotAllowed, parseBody, requireVersion } from './request-helpers.js'
import { canonicalUuid, isUuidLike } from '../../util/uuid.js'
import { ConsumerAllocationsResponse, ProviderAllocationsResponse } from './response-schemas.js'

const ConsumerParams = Type.Object({ consumer: Type.String() })
const UuidParams = Type.Object({ uuid: Type.String() })

// placement conf: incomplete_consumer_project_id / _user_id, used before 1.8.
const INCOMPLETE_CONSUMER_ID = '00000000-0000-0000-0000-000000000000'

type DictBody = Static<typeof AllocationDict112> & { consumer_generation?: number | null; consumer_type?: string }

function fromDict(req: FastifyRequest, consumerUuid: string, body: DictBody): ConsumerAllocations {
  const allocations = Object.fromEntries(Object.entries(body.allocations).map(([rp, a]) => [canonicalUuid(rp), a.resources]))
  return {
    consumerUuid, allocations, projectId: body.project_id, userId: body.user_id,
    consumerGeneration: atLeast(req, '1.28') ? body.consumer_generation ?? null : undefined,
    consumerType: atLeast(req, '1.38') ? body.consumer_type : undefined,
  }
}

/** The PUT body at the request's microversion, as the service takes it. */
function putRequest(req: FastifyRequest, consumerUuid: string): ConsumerAllocations {
  if (!atLeast(req, '1.12')) {
    const body = atLeast(req, '1.8') ? parseBody(req, AllocationList18) : parseBody(req, AllocationList10)
    const allocations: Record<string, Record<string, number>> = {}
    for (const a of body.allocations) allocations[canonicalUuid(a.resource_provider.uuid)] = a.resources
    const owner = body as { project_id?: string; user_id?: string }
    return { consumerUuid, allocations, projectId: owner.project_id ?? INCOMPLETE_CONSUMER_ID, userId: owner.user_id ?? INCOMPLETE_CONSUMER_ID }
  }
  const schema = atLeast(req, '1.38') ? AllocationDict138 : atLeast(req, '1.34') ? AllocationDict134 : atLeast(req, '1.28') ? AllocationDict128 : AllocationDict112
  return fromDict(req, consumerUuid, parseBody(req, schema) as DictBody)
}

/** Allocations by consumer and by provider (handlers/allocation.py). */
export function allocationRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const placement = ctx.services.placement
  return async (app) => {
    app.get('/allocations/:consumer', { schema: { params: ConsumerParams, response: ConsumerAllocationsResponse } }, async (req) => {
      authorize(req.auth, 'placement:allocations:list', 'admin')
      const view = await placement.getConsumerAllocations(req.params.consumer)
      const out: { allocations: typeof view.allocations; project_id?: string; user_id?: string; consumer_generation?: number; consumer_type?: string } = { allocations: view.allocations }
      if (view.consumer && atLeast(req, '1.12')) {
        out.project_id = view.consumer.project_id
        out.user_id = view.consumer.user_id
        if (atLeast(req, '1.28')) out.consumer_generation = view.consumer.generation
        if (atLeast(req, '1.38')) out.consumer_type = view.consumer.consumer_type ?? 'unknown'
      }
      return out
    })
    app.put('/allocations/:consumer', { schema: { params: ConsumerParams } }, async (req, reply) => {
      authorize(req.auth, 'placement:allocations:update', 'admin')
      if (!isUuidLike(req.params.consumer)) throw new InvalidRequest(`Malformed consumer_uuid: ${req.params.consumer}`)
      const consumerUuid = canonicalUuid(req.params.consumer)
      await placement.replaceAllocations([putRequest(req, consumerUuid)], (c) => `Unable to allocate inventory for consumer ${c}: `)
      return reply.status(204).send()
    })
    app.delete('/allocations/:consumer', { schema: { params: ConsumerParams } }, async (req, reply) => {
      authorize(req.auth, 'placement:allocations:delete', 'admin')
      await placement.deleteConsumerAllocations(req.params.consumer)
      return reply.status(204).send()
    })
    methodNotAllowed(app, '/allocations/:consumer', ['GET', 'PUT', 'DELETE'])

    app.post('/allocations', async (req, reply) => {
      requireVersion(req, '1.13')
      authorize(req.auth, 'placement:allocations:manage', 'admin')
      const schema = atLeast(req, '1.38') ? AllocationsPost138 : atLeast(req, '1.34') ? AllocationsPost134 : atLeast(req, '1.28') ? AllocationsPost128 : AllocationsPost113
      const body = parseBody(req, schema) as Record<string, DictBody>
      const requests = Object.entries(body).map(([consumer, entry]) => fromDict(req, canonicalUuid(consumer), entry))
      await placement.replaceAllocations(requests, () => 'Unable to allocate inventory ')
      return reply.status(204).send()
    })
    methodNotAllowed(app, '/allocations', ['POST'])

    app.get('/resource_providers/:uuid/allocations', { schema: { params: UuidParams, response: ProviderAllocationsResponse } }, async (req) => {
      authorize(req.auth, 'placement:resource_providers:allocations:list', 'admin')
      try {
        const { generation, allocations } = await placement.getProviderAllocations(req.params.uuid)
        const show = atLeast(req, '1.28')
        const out = Object.fromEntries(Object.entries(allocations).map(([c, a]) => [c, show ? a : { resources: a.resources }]))
        return { allocations: out, resource_provider_generation: generation }
      } catch (error) {
        if (error instanceof NotFound) throw new NotFound(`Resource provider '${req.params.uuid}' not found: ${error.message}`, error.code)
        throw error
      }
    })
    methodNotAllowed(app, '/resource_providers/:uuid/allocations', ['GET'])
  }
}
