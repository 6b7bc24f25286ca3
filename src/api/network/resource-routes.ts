import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { TSchema } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import type { AuthContext } from '../../services/identity/auth-context.js'
import type { ListPage, ListQuery, ResourceDict } from '../../services/network/network-service.js'
import { badRequest } from '../../services/network/network-errors.js'
import { allValues, type RawQuery } from '../../util/query-values.js'
import { pageLinks, readListQuery } from './list-query.js'
import {
  IdParams, NetworkCreateBody, NetworkUpdateBody, PortCreateBody, PortUpdateBody, SubnetCreateBody, SubnetUpdateBody,
} from './schemas.js'
import {
  NetworkListResponse, NetworkResponse, PortListResponse, PortResponse, SubnetListResponse, SubnetResponse,
} from './response-schemas.js'

/** What one collection's routes call: the network service's methods for that resource. */
interface Collection {
  plural: 'networks' | 'subnets' | 'ports'
  singular: 'network' | 'subnet' | 'port'
  list(auth: AuthContext, query: ListQuery): Promise<ListPage>
  show(auth: AuthContext, id: string, fields: string[]): Promise<ResourceDict>
  create(auth: AuthContext, input: Record<string, unknown>): Promise<ResourceDict>
  update(auth: AuthContext, id: string, input: Record<string, unknown>): Promise<ResourceDict>
  remove(auth: AuthContext, id: string): Promise<void>
  schemas: { create: TSchema; update: TSchema; one: Record<number, TSchema>; many: Record<number, TSchema> }
  /** Attributes an update may not change (Neutron: "Cannot update read-only attribute"). */
  readOnly: string[]
}

/** Neutron's `fields` on show (repeated or comma-separated). */
function fieldsOf(query: RawQuery): string[] {
  return allValues(query.fields).flatMap((f) => f.split(',')).filter(Boolean)
}

/** List, show, create (one or bulk), update and delete of networks, subnets and ports under `/v2.0`. */
export function resourceRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const net = () => ctx.services.network
  const collections: Collection[] = [
    {
      plural: 'networks', singular: 'network', readOnly: ['id', 'tenant_id', 'project_id'],
      list: (a, q) => net().listNetworks(a, q), show: (a, id, f) => net().showNetwork(a, id, f), create: (a, i) => net().createNetwork(a, i),
      update: (a, id, i) => net().updateNetwork(a, id, i), remove: (a, id) => net().deleteNetwork(a, id),
      schemas: { create: NetworkCreateBody, update: NetworkUpdateBody, one: NetworkResponse, many: NetworkListResponse },
    },
    {
      plural: 'subnets', singular: 'subnet', readOnly: ['id', 'tenant_id', 'project_id', 'network_id', 'cidr', 'ip_version'],
      list: (a, q) => net().listSubnets(a, q), show: (a, id, f) => net().showSubnet(a, id, f), create: (a, i) => net().createSubnet(a, i),
      update: (a, id, i) => net().updateSubnet(a, id, i), remove: (a, id) => net().deleteSubnet(a, id),
      schemas: { create: SubnetCreateBody, update: SubnetUpdateBody, one: SubnetResponse, many: SubnetListResponse },
    },
    {
      plural: 'ports', singular: 'port', readOnly: ['id', 'tenant_id', 'project_id', 'network_id'],
      list: (a, q) => net().listPorts(a, q), show: (a, id, f) => net().showPort(a, id, f), create: (a, i) => net().createPort(a, i),
      update: (a, id, i) => net().updatePort(a, id, i), remove: (a, id) => net().deletePort(a, id),
      schemas: { create: PortCreateBody, update: PortUpdateBody, one: PortResponse, many: PortListResponse },
    },
  ]
  return async (app) => {
    for (const c of collections) {
      const base = () => `${ctx.publicUrl()}/network/v2.0/${c.plural}`

      app.get(`/${c.plural}`, { schema: { response: c.schemas.many } }, async (req) => {
        const raw = req.query as RawQuery
        const query = readListQuery(raw)
        const page = await c.list(req.auth, query)
        const links = pageLinks(base(), raw, page, query)
        return { [c.plural]: page.items, ...(links ? { [`${c.plural}_links`]: links } : {}) }
      })

      app.get(`/${c.plural}/:id`, { schema: { params: IdParams, response: c.schemas.one } }, async (req) => {
        return { [c.singular]: await c.show(req.auth, req.params.id, fieldsOf(req.query as RawQuery)) }
      })

      app.post(`/${c.plural}`, { schema: { body: c.schemas.create, response: c.schemas.one } }, async (req, reply) => {
        const body = req.body as Record<string, unknown>
        const createOne = async (input: Record<string, unknown>) => {
          const { tags, ...attributes } = input as Record<string, unknown> & { tags?: string[] }
          const created = await c.create(req.auth, attributes)
          if (tags === undefined || tags.length === 0) return created
          const applied = await net().replaceTags(req.auth, c.plural, String(created.id), tags)
          return { ...created, tags: applied }
        }
        reply.status(201)
        if (Array.isArray(body[c.plural])) {
          // Bulk: all or nothing, as Neutron's emulated bulk (what was made is removed when one fails).
          const made: ResourceDict[] = []
          try {
            for (const input of body[c.plural] as Array<Record<string, unknown>>) made.push(await createOne(input))
          } catch (error) {
            for (const resource of made.reverse()) await c.remove(req.auth, String(resource.id)).catch((cleanup: unknown) => req.log.warn({ err: cleanup }, 'bulk create: a resource could not be removed'))
            throw error
          }
          return { [c.plural]: made }
        }
        return { [c.singular]: await createOne(body[c.singular] as Record<string, unknown>) }
      })

      app.put(`/${c.plural}/:id`, { schema: { params: IdParams, body: c.schemas.update, response: c.schemas.one } }, async (req) => {
        const input = (req.body as Record<string, Record<string, unknown>>)[c.singular]!
        const readOnly = c.readOnly.find((key) => key in input)
        if (readOnly) throw badRequest(`Cannot update read-only attribute ${readOnly}`)
        return { [c.singular]: await c.update(req.auth, req.params.id, input) }
      })

      app.delete(`/${c.plural}/:id`, { schema: { params: IdParams } }, async (req, reply) => {
        await c.remove(req.auth, req.params.id)
        reply.status(204).send()
      })
    }
  }
}
