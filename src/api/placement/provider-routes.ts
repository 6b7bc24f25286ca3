import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { InvalidRequest } from '../../services/errors.js'
import type { ProviderFilter } from '../../services/placement/placement-service.js'
import { AggregatesPut11, AggregatesPut119, ProviderCreate, ProviderCreate114, ProviderUpdate, ProviderUpdate114 } from './schemas.js'
import { atLeast, checkQueryKeys, methodNotAllowed, parseBody, queryAll, queryLast, requireVersion } from './request-helpers.js'
import { canonicalUuid, isUuidLike } from '../../util/uuid.js'
import { parseMemberOf, parseResources, parseTraits } from './query-params.js'
import { MOUNT, providerView } from './views.js'
import { ConcurrentUpdate } from '../../services/placement/placement-errors.js'
import { AggregatesResponse, ProviderListResponse, ProviderResponse } from './response-schemas.js'

const UuidParams = Type.Object({ uuid: Type.String() })

function listKeys(req: Parameters<typeof atLeast>[0]): string[] {
  const keys = ['name', 'uuid']
  if (atLeast(req, '1.3')) keys.push('member_of')
  if (atLeast(req, '1.4')) keys.push('resources')
  if (atLeast(req, '1.14')) keys.push('in_tree')
  if (atLeast(req, '1.18')) keys.push('required')
  return keys
}

/** Resource providers (handlers/resource_provider.py) and their aggregates (handlers/aggregate.py). */
export function providerRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const placement = ctx.services.placement
  return async (app) => {
    app.get('/resource_providers', { schema: { response: ProviderListResponse } }, async (req) => {
      authorize(req.auth, 'placement:resource_providers:list', 'admin')
      checkQueryKeys(req, listKeys(req))
      const filter: ProviderFilter = {}
      const name = queryLast(req, 'name')
      if (name !== undefined) filter.name = name
      for (const key of ['uuid', 'in_tree'] as const) {
        const value = queryLast(req, key)
        if (value === undefined) continue
        if (!isUuidLike(value)) throw new InvalidRequest(`Invalid query string parameters: '${value}' is not a 'uuid'`)
        if (key === 'uuid') filter.uuid = canonicalUuid(value)
        else filter.inTree = canonicalUuid(value)
      }
      if (queryAll(req, 'member_of').length > 0) ({ memberOf: filter.memberOf, forbidden: filter.forbiddenAggregates } = parseMemberOf(req, 'member_of'))
      if (queryAll(req, 'required').length > 0) ({ required: filter.requiredTraits, forbidden: filter.forbiddenTraits } = parseTraits(req, 'required'))
      const resources = queryLast(req, 'resources')
      if (resources !== undefined) filter.resources = parseResources(resources)
      const rows = await placement.listProviders(filter)
      return { resource_providers: rows.map((row) => providerView(req, row)) }
    })
    app.post('/resource_providers', { schema: { response: ProviderResponse } }, async (req, reply) => {
      authorize(req.auth, 'placement:resource_providers:create', 'admin')
      const body = atLeast(req, '1.14') ? parseBody(req, ProviderCreate114) : parseBody(req, ProviderCreate)
      const parent = (body as { parent_provider_uuid?: string | null }).parent_provider_uuid
      const row = await placement.createProvider({
        name: body.name,
        uuid: body.uuid === undefined ? undefined : canonicalUuid(body.uuid),
        parentProviderUuid: parent === undefined || parent === null ? parent : canonicalUuid(parent),
      })
      reply.header('location', `${ctx.publicUrl()}${MOUNT}/resource_providers/${row.uuid}`)
      if (atLeast(req, '1.20')) return providerView(req, row)
      // Before 1.20: 201 without a body (the response schema is the 1.20 body).
      return (reply as FastifyReply).status(201).removeHeader('content-type').send()
    })
    methodNotAllowed(app, '/resource_providers', ['GET', 'POST'])

    app.get('/resource_providers/:uuid', { schema: { params: UuidParams, response: ProviderResponse } }, async (req) => {
      authorize(req.auth, 'placement:resource_providers:show', 'admin')
      return providerView(req, await placement.getProvider(req.params.uuid))
    })
    app.put('/resource_providers/:uuid', { schema: { params: UuidParams, response: ProviderResponse } }, async (req) => {
      authorize(req.auth, 'placement:resource_providers:update', 'admin')
      await placement.getProvider(req.params.uuid)
      const body = atLeast(req, '1.14') ? parseBody(req, ProviderUpdate114) : parseBody(req, ProviderUpdate)
      const parent = (body as { parent_provider_uuid?: string | null }).parent_provider_uuid
      const row = await placement.updateProvider(req.params.uuid, {
        name: body.name,
        parentProviderUuid: parent === undefined || parent === null ? parent : canonicalUuid(parent),
      }, atLeast(req, '1.37'))
      return providerView(req, row)
    })
    app.delete('/resource_providers/:uuid', { schema: { params: UuidParams } }, async (req, reply) => {
      authorize(req.auth, 'placement:resource_providers:delete', 'admin')
      await placement.deleteProvider(req.params.uuid)
      return reply.status(204).send()
    })
    methodNotAllowed(app, '/resource_providers/:uuid', ['GET', 'PUT', 'DELETE'])

    app.get('/resource_providers/:uuid/aggregates', { schema: { params: UuidParams, response: AggregatesResponse } }, async (req) => {
      requireVersion(req, '1.1')
      authorize(req.auth, 'placement:resource_providers:aggregates:list', 'admin')
      const { generation, aggregates } = await placement.getAggregates(req.params.uuid)
      return atLeast(req, '1.19') ? { aggregates, resource_provider_generation: generation } : { aggregates }
    })
    app.put('/resource_providers/:uuid/aggregates', { schema: { params: UuidParams, response: AggregatesResponse } }, async (req) => {
      requireVersion(req, '1.1')
      authorize(req.auth, 'placement:resource_providers:aggregates:update', 'admin')
      const current = await placement.getAggregates(req.params.uuid)
      if (atLeast(req, '1.19')) {
        const body = parseBody(req, AggregatesPut119)
        if (body.resource_provider_generation !== current.generation) {
          throw new ConcurrentUpdate("Resource provider's generation already changed. Please update the generation and try again.")
        }
        const result = await placement.setAggregates(req.params.uuid, body.aggregates.map(canonicalUuid), body.resource_provider_generation)
        return { aggregates: result.aggregates, resource_provider_generation: result.generation }
      }
      const body = parseBody(req, AggregatesPut11)
      const result = await placement.setAggregates(req.params.uuid, body.map(canonicalUuid))
      return { aggregates: result.aggregates }
    })
    methodNotAllowed(app, '/resource_providers/:uuid/aggregates', ['GET', 'PUT'])
  }
}
