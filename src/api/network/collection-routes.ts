import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { TSchema } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import type { AuthContext } from '../../services/identity/auth-context.js'
import type { ListPage, ListQuery, ResourceDict } from '../../services/network/network-service.js'
import { badRequest } from '../../services/network/network-errors.js'
import { allValues, type RawQuery } from '../../util/query-values.js'
import { pageLinks, readListQuery } from './list-query.js'
import { LIST_FILTERS } from './list-filters.js'
import { IdParams } from './schemas.js'
import type { TaggableCollection } from '../../services/network/resource-tags.js'

/** One collection of the network service (networks, subnets, ports, routers, floating IPs, security groups): its names, service calls and schemas. */
export interface CollectionSpec {
  /** As the URL names it (`security-groups`). */
  path: string
  /** The collection's name for tags, when it takes them (a create body's `tags` are set through it). */
  tags?: TaggableCollection
  /** As the body names it (`security_groups`, `security_group`). */
  plural: string
  singular: string
  list(auth: AuthContext, query: ListQuery): Promise<ListPage>
  show(auth: AuthContext, id: string, fields: string[]): Promise<ResourceDict>
  create(auth: AuthContext, input: Record<string, unknown>): Promise<ResourceDict>
  /** Absent: the collection has no update (405). */
  update?(auth: AuthContext, id: string, input: Record<string, unknown>): Promise<ResourceDict>
  remove(auth: AuthContext, id: string): Promise<void>
  schemas: { create: TSchema; update?: TSchema; one: Record<number, TSchema>; many: Record<number, TSchema> }
  /** Attributes an update may not change (Neutron: "Cannot update read-only attribute"). */
  readOnly: string[]
}

/**
 * List, show, create (one or bulk), update and delete of `specs` under
 * `/v2.0`, for every collection of the network service: filters,
 * `fields`, sorting and paging with `<collection>_links`, 201 on create, 204 on delete.
 */
export function collectionRoutes(ctx: ApiContext, specs: CollectionSpec[]): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const c of specs) {
      const base = () => `${ctx.publicUrl()}/network/v2.0/${c.path}`
      app.get(`/${c.path}`, { schema: { response: c.schemas.many } }, async (req) => {
        const raw = req.query as RawQuery
        const query = readListQuery(raw, LIST_FILTERS[c.path])
        const page = await c.list(req.auth, query)
        const links = pageLinks(base(), raw, page, query)
        return { [c.plural]: page.items, ...(links ? { [`${c.plural}_links`]: links } : {}) }
      })
      app.get(`/${c.path}/:id`, { schema: { params: IdParams, response: c.schemas.one } }, async (req) => {
        const fields = allValues((req.query as RawQuery).fields).flatMap((f) => f.split(',')).filter(Boolean)
        return { [c.singular]: await c.show(req.auth, req.params.id, fields) }
      })
      app.post(`/${c.path}`, { schema: { body: c.schemas.create, response: c.schemas.one } }, async (req, reply) => {
        const body = req.body as Record<string, unknown>
        const createOne = async (input: Record<string, unknown>) => {
          const { tags, ...attributes } = input as Record<string, unknown> & { tags?: string[] }
          const created = await c.create(req.auth, attributes)
          if (tags === undefined || tags.length === 0 || !c.tags) return created
          return { ...created, tags: await ctx.services.network.replaceTags(req.auth, c.tags, String(created.id), tags) }
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
      if (c.update && c.schemas.update) {
        const update = c.update
        app.put(`/${c.path}/:id`, { schema: { params: IdParams, body: c.schemas.update, response: c.schemas.one } }, async (req) => {
          const input = (req.body as Record<string, Record<string, unknown>>)[c.singular]!
          const readOnly = c.readOnly.find((key) => key in input)
          if (readOnly) throw badRequest(`Cannot update read-only attribute ${readOnly}`)
          return { [c.singular]: await update(req.auth, req.params.id, input) }
        })
      }
      app.delete(`/${c.path}/:id`, { schema: { params: IdParams } }, async (req, reply) => {
        await c.remove(req.auth, req.params.id)
        reply.status(204).send()
      })
    }
  }
}
