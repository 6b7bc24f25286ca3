import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { isAtLeast } from '../common/microversion.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { FLAVOR_SORT_KEYS, type FlavorListQuery as ServiceQuery, type NewFlavor } from '../../services/compute/flavor-service.js'
import { ExtraSpecParams, ExtraSpecUpdate, ExtraSpecsCreate, FlavorAction, FlavorCreateV255, FlavorIdParams, FlavorListQuery, FlavorUpdate } from './schemas/flavors.js'
import { FlavorDetailListResponse, FlavorResponse, FlavorSummaryListResponse, ExtraSpecItemResponse, ExtraSpecsResponse, FlavorAccessResponse } from './schemas/flavor-responses.js'
import { flavorAccessView, flavorSummaryView, flavorView } from './views/flavor-view.js'
import { collectionLinks } from './views/resource-links.js'
import { firstValue, limitAndMarker, type QueryValue } from './paging.js'
import { MAX_LIMIT } from './views/resource-links.js'
import { enumQuery, rejectUnknownQuery } from './query-checks.js'
import { strictBoolString } from '../../util/bool-string.js'

const LIST_PARAMS = ['limit', 'marker', 'is_public', 'minRam', 'minDisk', 'sort_key', 'sort_dir']

function intFilter(query: Record<string, QueryValue>, name: string): number | undefined {
  const value = firstValue(query[name])
  if (value === undefined) return undefined
  if (!/^\s*[-+]?\d+\s*$/.test(value)) throw new InvalidRequest(`Invalid ${name} filter [${value}]`)
  return Number(value)
}

/** Nova's FlavorsController._get_flavors: filters (is_public for admins only), sort and page. */
function listQuery(req: FastifyRequest, query: Record<string, QueryValue>): ServiceQuery {
  if (isAtLeast(req.microversion, '2.75')) rejectUnknownQuery(query, LIST_PARAMS)
  const page = limitAndMarker(query)
  // Nova's get_limit_and_marker: no limit means max_limit.
  const result: ServiceQuery = { ...page, limit: page.limit ?? MAX_LIMIT, minRam: intFilter(query, 'minRam'), minDisk: intFilter(query, 'minDisk') }
  result.sortKey = enumQuery(query, 'sort_key', Object.keys(FLAVOR_SORT_KEYS)) || 'flavorid'
  result.sortDir = (enumQuery(query, 'sort_dir', ['asc', 'desc']) || 'asc') as 'asc' | 'desc'
  const isPublic = firstValue(query.is_public)
  if (req.auth.isAdmin && isPublic !== undefined) {
    if (isPublic.toLowerCase() === 'none') result.isPublic = null
    else {
      const parsed = strictBoolString(isPublic)
      if (parsed === undefined) throw new InvalidRequest(`Invalid is_public filter [${isPublic}]`)
      result.isPublic = parsed
    }
  }
  return result
}

function toInt(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n > 2147483647) throw new InvalidRequest(`Invalid input for field/attribute flavor. Value: ${value}. ${value} is greater than the maximum of 2147483647`)
  return n
}

/** Compute routes: flavors, their extra specs and access lists. */
export function flavorsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const flavors = ctx.services.flavors
  const base = () => `${ctx.publicUrl()}/compute`

  return async (app) => {
    app.get('/flavors', { schema: { querystring: FlavorListQuery, response: FlavorSummaryListResponse } }, async (req) => {
      const q = listQuery(req, req.query)
      const list = await flavors.listFlavors(req.auth, q)
      const links = collectionLinks(base(), 'flavors', req.query, list.length, q.limit, list.at(-1)?.id)
      return { flavors: list.map((f) => flavorSummaryView(f, base(), req.microversion)), ...(links ? { flavors_links: links } : {}) }
    })
    app.get('/flavors/detail', { schema: { querystring: FlavorListQuery, response: FlavorDetailListResponse } }, async (req) => {
      const q = listQuery(req, req.query)
      const list = await flavors.listFlavors(req.auth, q)
      const links = collectionLinks(base(), 'flavors/detail', req.query, list.length, q.limit, list.at(-1)?.id)
      return { flavors: list.map((f) => flavorView(f, base(), req.microversion)), ...(links ? { flavors_links: links } : {}) }
    })
    app.get('/flavors/:id', { schema: { params: FlavorIdParams, response: FlavorResponse } }, async (req) => {
      return { flavor: flavorView(await flavors.getFlavor(req.auth, req.params.id), base(), req.microversion) }
    })
    // Nova answers 200, not 201 (api/openstack/compute/flavors.py create).
    app.post('/flavors', { schema: { body: FlavorCreateV255, response: FlavorResponse } }, async (req) => {
      const f = req.body.flavor
      if (f.description !== undefined && !isAtLeast(req.microversion, '2.55')) {
        throw new InvalidRequest("Invalid input for field/attribute flavor. Additional properties are not allowed ('description' was unexpected)")
      }
      const input: NewFlavor = {
        id: f.id === undefined || f.id === null ? null : String(f.id), name: f.name, ram: toInt(f.ram)!, vcpus: toInt(f.vcpus)!, disk: toInt(f.disk)!,
        ephemeral: toInt(f['OS-FLV-EXT-DATA:ephemeral']), swap: toInt(f.swap),
        rxtxFactor: f.rxtx_factor === undefined ? undefined : Number(f.rxtx_factor), isPublic: f['os-flavor-access:is_public'], description: f.description,
      }
      if (input.ram! < 1 || input.vcpus! < 1) throw new InvalidRequest('Invalid input for field/attribute flavor. Value: 0. 0 is less than the minimum of 1')
      if (input.rxtxFactor !== undefined && !(input.rxtxFactor > 0)) throw new InvalidRequest(`Invalid input for field/attribute rxtx_factor. Value: ${f.rxtx_factor}. ${f.rxtx_factor} is less than or equal to the minimum of 0`)
      return { flavor: flavorView(await flavors.createFlavor(req.auth, input), base(), req.microversion) }
    })
    app.put('/flavors/:id', { schema: { params: FlavorIdParams, body: FlavorUpdate, response: FlavorResponse } }, async (req) => {
      if (!isAtLeast(req.microversion, '2.55')) throw new NotFound('The resource could not be found.')
      return { flavor: flavorView(await flavors.updateFlavorDescription(req.auth, req.params.id, req.body.flavor.description), base(), req.microversion) }
    })
    app.delete('/flavors/:id', { schema: { params: FlavorIdParams } }, async (req, reply) => {
      await flavors.deleteFlavor(req.auth, req.params.id)
      reply.status(202).send()
    })

    app.get('/flavors/:id/os-extra_specs', { schema: { params: FlavorIdParams, response: ExtraSpecsResponse } }, async (req) => {
      return { extra_specs: await flavors.access.getExtraSpecs(req.auth, req.params.id) }
    })
    app.post('/flavors/:id/os-extra_specs', { schema: { params: FlavorIdParams, body: ExtraSpecsCreate, response: ExtraSpecsResponse } }, async (req) => {
      await flavors.access.setExtraSpecs(req.auth, req.params.id, req.body.extra_specs, isAtLeast(req.microversion, '2.86'))
      return req.body
    })
    app.get('/flavors/:id/os-extra_specs/:key', { schema: { params: ExtraSpecParams, response: ExtraSpecItemResponse } }, async (req) => {
      return { [req.params.key]: await flavors.access.getExtraSpec(req.auth, req.params.id, req.params.key) }
    })
    app.put('/flavors/:id/os-extra_specs/:key', { schema: { params: ExtraSpecParams, body: ExtraSpecUpdate, response: ExtraSpecItemResponse } }, async (req) => {
      if (!Object.hasOwn(req.body, req.params.key)) throw new InvalidRequest('Request body and URI mismatch')
      await flavors.access.setExtraSpecs(req.auth, req.params.id, req.body, isAtLeast(req.microversion, '2.86'))
      return req.body
    })
    app.delete('/flavors/:id/os-extra_specs/:key', { schema: { params: ExtraSpecParams } }, async (req, reply) => {
      await flavors.access.deleteExtraSpec(req.auth, req.params.id, req.params.key)
      reply.status(200).send()
    })

    app.get('/flavors/:id/os-flavor-access', { schema: { params: FlavorIdParams, response: FlavorAccessResponse } }, async (req) => {
      return flavorAccessView(await flavors.access.listFlavorAccess(req.auth, req.params.id))
    })
    app.post('/flavors/:id/action', { schema: { params: FlavorIdParams, body: FlavorAction, response: FlavorAccessResponse } }, async (req) => {
      const body = req.body
      if ('addTenantAccess' in body) {
        const refusePublic = isAtLeast(req.microversion, '2.7')
        return flavorAccessView(await flavors.access.addTenantAccess(req.auth, req.params.id, body.addTenantAccess.tenant, refusePublic))
      }
      return flavorAccessView(await flavors.access.removeTenantAccess(req.auth, req.params.id, body.removeTenantAccess.tenant))
    })
  }
}
