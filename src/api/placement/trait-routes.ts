import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { ConcurrentUpdate } from '../../services/placement/placement-errors.js'
import type { TraitFilter } from '../../services/placement/placement-service.js'
import { CUSTOM_NAME, ProviderTraitsPut } from './schemas.js'
import { checkQueryKeys, methodNotAllowed, parseBody, queryLast, requireVersion } from './request-helpers.js'
import { MOUNT } from './views.js'
import { ProviderTraitsResponse, TraitListResponse } from './response-schemas.js'

const NameParams = Type.Object({ name: Type.String() })
const UuidParams = Type.Object({ uuid: Type.String() })

/** handlers/trait.py _normalize_traits_qs_param: `in:A,B` or `startswith:P`. */
function nameFilter(qs: string): TraitFilter {
  const colon = qs.indexOf(':')
  const op = colon < 0 ? '' : qs.slice(0, colon)
  const value = colon < 0 ? '' : qs.slice(colon + 1)
  if ((op !== 'in' && op !== 'startswith') || value === '') {
    throw new InvalidRequest(`Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "${qs}"`)
  }
  return op === 'in' ? { nameIn: value.split(',') } : { prefix: value }
}

/** Traits and provider traits (handlers/trait.py), all 1.6+. */
export function traitRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const placement = ctx.services.placement
  return async (app) => {
    app.get('/traits', { schema: { response: TraitListResponse } }, async (req) => {
      requireVersion(req, '1.6')
      authorize(req.auth, 'placement:traits:list', 'admin')
      checkQueryKeys(req, ['name', 'associated'])
      let filter: TraitFilter = {}
      const name = queryLast(req, 'name')
      if (name !== undefined) filter = nameFilter(name)
      const associated = queryLast(req, 'associated')
      if (associated !== undefined) {
        if (!['true', 'false'].includes(associated.toLowerCase())) throw new InvalidRequest('The query parameter "associated" only accepts "true" or "false"')
        filter.associated = associated.toLowerCase() === 'true'
      }
      return { traits: await placement.listTraits(filter) }
    })
    methodNotAllowed(app, '/traits', ['GET'])

    app.get('/traits/:name', { schema: { params: NameParams } }, async (req, reply) => {
      requireVersion(req, '1.6')
      authorize(req.auth, 'placement:traits:show', 'admin')
      if (!(await placement.traitExists(req.params.name))) throw new NotFound(`No such trait(s): ${req.params.name}.`)
      return reply.status(204).send()
    })
    app.put('/traits/:name', { schema: { params: NameParams } }, async (req, reply) => {
      requireVersion(req, '1.6')
      authorize(req.auth, 'placement:traits:update', 'admin')
      const name = req.params.name
      if (!CUSTOM_NAME.test(name) || name.length > 255) {
        throw new InvalidRequest('The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"')
      }
      const created = await placement.ensureTrait(name)
      return reply.status(created ? 201 : 204).header('location', `${ctx.publicUrl()}${MOUNT}/traits/${encodeURIComponent(name)}`).send()
    })
    app.delete('/traits/:name', { schema: { params: NameParams } }, async (req, reply) => {
      requireVersion(req, '1.6')
      authorize(req.auth, 'placement:traits:delete', 'admin')
      await placement.deleteTrait(req.params.name)
      return reply.status(204).send()
    })
    methodNotAllowed(app, '/traits/:name', ['GET', 'PUT', 'DELETE'])

    app.get('/resource_providers/:uuid/traits', { schema: { params: UuidParams, response: ProviderTraitsResponse } }, async (req) => {
      requireVersion(req, '1.6')
      authorize(req.auth, 'placement:resource_providers:traits:list', 'admin')
      try {
        const { generation, traits } = await placement.getProviderTraits(req.params.uuid)
        return { traits, resource_provider_generation: generation }
      } catch (error) {
        if (error instanceof NotFound) throw new NotFound(`No resource provider with uuid ${req.params.uuid} found: ${error.message}`, error.code)
        throw error
      }
    })
    app.put('/resource_providers/:uuid/traits', { schema: { params: UuidParams, response: ProviderTraitsResponse } }, async (req) => {
      requireVersion(req, '1.6')
      authorize(req.auth, 'placement:resource_providers:traits:update', 'admin')
      const body = parseBody(req, ProviderTraitsPut)
      const provider = await placement.getProvider(req.params.uuid)
      if (provider.generation !== body.resource_provider_generation) {
        throw new ConcurrentUpdate("Resource provider's generation already changed. Please update the generation and try again.")
      }
      const { generation, traits } = await placement.putProviderTraits(req.params.uuid, body.traits, body.resource_provider_generation)
      return { traits, resource_provider_generation: generation }
    })
    app.delete('/resource_providers/:uuid/traits', { schema: { params: UuidParams } }, async (req, reply) => {
      requireVersion(req, '1.6')
      authorize(req.auth, 'placement:resource_providers:traits:delete', 'admin')
      await placement.deleteProviderTraits(req.params.uuid)
      return reply.status(204).send()
    })
    methodNotAllowed(app, '/resource_providers/:uuid/traits', ['GET', 'PUT', 'DELETE'])
  }
}
