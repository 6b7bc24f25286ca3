import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { NeutronError, NetworkErrorCode } from '../../services/network/network-errors.js'
import type { TaggableCollection } from '../../services/network/resource-tags.js'
import { DEFAULT_NETWORK_QUOTAS } from '../../services/network/network-quotas.js'
import { NETWORK_EXTENSIONS } from './extensions.js'
import { IdParams, ProjectParams, QuotaBody, TagParams, TagsBody } from './schemas.js'
import { ExtensionListResponse, ExtensionResponse, QuotaListResponse, QuotaResponse, TagsResponse } from './response-schemas.js'

/** The collections whose tags these routes serve (the router, floating-IP and security-group modules add theirs). */
export const TAGGED_COLLECTIONS: TaggableCollection[] = ['networks', 'subnets', 'ports', 'routers', 'floatingips', 'security-groups']

const AliasParams = Type.Object({ alias: Type.String() })

/** `extensions`, `quotas` and the tag sub-resources of every taggable collection, under `/v2.0`. */
export function miscRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const net = () => ctx.services.network
  return async (app) => {
    app.get('/extensions', { schema: { response: ExtensionListResponse } }, async () => ({ extensions: NETWORK_EXTENSIONS }))
    app.get('/extensions/:alias', { schema: { params: AliasParams, response: ExtensionResponse } }, async (req) => {
      const found = NETWORK_EXTENSIONS.find((e) => e.alias === req.params.alias)
      if (!found) throw new NeutronError('HTTPNotFound', `Extension with alias ${req.params.alias} does not exist`, 404, NetworkErrorCode.NOT_FOUND)
      return { extension: found }
    })

    app.get('/quotas', { schema: { response: QuotaListResponse } }, async (req) => ({ quotas: await net().listQuotas(req.auth) }))
    app.get('/quotas/:project_id', { schema: { params: ProjectParams, response: QuotaResponse } }, async (req) => ({ quota: await net().showQuota(req.auth, req.params.project_id) }))
    app.get('/quotas/:project_id/details', { schema: { params: ProjectParams, response: QuotaResponse } }, async (req) => ({ quota: await net().quotaDetails(req.auth, req.params.project_id) }))
    app.get('/quotas/:project_id/default', { schema: { params: ProjectParams, response: QuotaResponse } }, async () => ({ quota: { ...DEFAULT_NETWORK_QUOTAS } }))
    app.put('/quotas/:project_id', { schema: { params: ProjectParams, body: QuotaBody, response: QuotaResponse } }, async (req) => ({
      quota: await net().updateQuota(req.auth, req.params.project_id, req.body.quota),
    }))
    app.delete('/quotas/:project_id', { schema: { params: ProjectParams } }, async (req, reply) => {
      await net().resetQuota(req.auth, req.params.project_id)
      reply.status(204).send()
    })

    for (const collection of TAGGED_COLLECTIONS) {
      app.get(`/${collection}/:id/tags`, { schema: { params: IdParams, response: TagsResponse } }, async (req) => ({ tags: await net().listTags(req.auth, collection, req.params.id) }))
      app.get(`/${collection}/:id/tags/:tag`, { schema: { params: TagParams } }, async (req, reply) => {
        await net().checkTag(req.auth, collection, req.params.id, req.params.tag)
        reply.status(204).send()
      })
      app.put(`/${collection}/:id/tags`, { schema: { params: IdParams, body: TagsBody, response: TagsResponse } }, async (req) => ({
        tags: await net().replaceTags(req.auth, collection, req.params.id, req.body.tags),
      }))
      app.put(`/${collection}/:id/tags/:tag`, { schema: { params: TagParams } }, async (req, reply) => {
        await net().addTag(req.auth, collection, req.params.id, req.params.tag)
        reply.status(201).send()
      })
      app.delete(`/${collection}/:id/tags`, { schema: { params: IdParams } }, async (req, reply) => {
        await net().removeTags(req.auth, collection, req.params.id)
        reply.status(204).send()
      })
      app.delete(`/${collection}/:id/tags/:tag`, { schema: { params: TagParams } }, async (req, reply) => {
        await net().removeTags(req.auth, collection, req.params.id, req.params.tag)
        reply.status(204).send()
      })
    }
  }
}
