import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { InvalidRequest } from '../../services/errors.js'
import { aggregateView } from './views/aggregate-view.js'
import {
  AggregateListResponse, AggregateParams, AggregateResponse, aggregateId, aggregateToCreate, aggregateToUpdate, hostOfAction, metadataOfAction,
} from './schemas/aggregates.js'

/** Compute routes: `os-aggregates` (admin; nova/api/openstack/compute/aggregates.py). */
export function aggregatesRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const aggregates = () => ctx.services.aggregates
  return async (app) => {
    app.get('/os-aggregates', { schema: { response: AggregateListResponse } }, async (req) => {
      return { aggregates: (await aggregates().list(req.auth!)).map((a) => aggregateView(a, req.microversion)) }
    })
    // Bodies are checked by hand so refusals carry Nova's words; Nova answers a create with 200.
    app.post('/os-aggregates', { schema: { body: Type.Unknown(), response: AggregateResponse } }, async (req) => {
      const { name, zone } = aggregateToCreate(req.body)
      const view = aggregateView(await aggregates().create(req.auth!, name, zone), req.microversion)
      delete view.hosts
      delete view.metadata
      return { aggregate: view }
    })
    app.get('/os-aggregates/:id', { schema: { params: AggregateParams, response: AggregateResponse } }, async (req) => {
      return { aggregate: aggregateView(await aggregates().show(req.auth!, aggregateId(req.params.id)), req.microversion) }
    })
    app.put('/os-aggregates/:id', { schema: { params: AggregateParams, body: Type.Unknown(), response: AggregateResponse } }, async (req) => {
      const values = aggregateToUpdate(req.body)
      return { aggregate: aggregateView(await aggregates().update(req.auth!, aggregateId(req.params.id), values), req.microversion) }
    })
    app.delete('/os-aggregates/:id', { schema: { params: AggregateParams } }, async (req, reply) => {
      await aggregates().delete(req.auth!, aggregateId(req.params.id))
      reply.status(200).send()
    })
    app.post('/os-aggregates/:id/action', { schema: { params: AggregateParams, body: Type.Unknown(), response: AggregateResponse } }, async (req) => {
      const raw = req.body
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidRequest('Malformed request body')
      const names = Object.keys(raw)
      const name = names.find((n) => n === 'add_host' || n === 'remove_host' || n === 'set_metadata')
      if (!name) throw new InvalidRequest(`There is no such action: ${names[0] ?? ''}`)
      if (names.length > 1) throw new InvalidRequest(`Additional properties are not allowed (${names.filter((n) => n !== name).map((n) => `'${n}'`).join(', ')} ${names.length === 2 ? 'was' : 'were'} unexpected)`)
      const value = (raw as Record<string, unknown>)[name]
      const service = aggregates()
      const auth = req.auth!
      let result
      if (name === 'set_metadata') {
        const metadata = metadataOfAction(value)
        result = await service.setMetadata(auth, aggregateId(req.params.id), metadata)
      } else {
        const host = hostOfAction(name, value)
        const id = aggregateId(req.params.id)
        result = name === 'add_host' ? await service.addHost(auth, id, host) : await service.removeHost(auth, id, host)
      }
      return { aggregate: aggregateView(result, req.microversion) }
    })
  }
}
