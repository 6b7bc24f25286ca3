import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { isAtLeast } from '../common/microversion.js'
import { InvalidRequest } from '../../services/errors.js'
import { KeypairCreateBody, KeypairListResponse, KeypairNameParams, KeypairQuery, KeypairResponse } from './schemas/keypairs.js'
import { keypairCreatedView, keypairSummaryView, keypairView } from './views/keypair-view.js'
import { collectionLinks } from './views/resource-links.js'
import { firstValue, limitAndMarker, type QueryValue } from './paging.js'
import { rejectUnknownQuery } from './query-checks.js'

function unexpected(field: string): InvalidRequest {
  return new InvalidRequest(`Invalid input for field/attribute keypair. Additional properties are not allowed ('${field}' was unexpected)`)
}

/** `user_id` from 2.10 (admins act for another user); unknown parameters are 400 from 2.75. */
function userIdOf(req: FastifyRequest, query: Record<string, QueryValue>, allowed: string[]): string | undefined {
  if (isAtLeast(req.microversion, '2.75')) rejectUnknownQuery(query, allowed)
  return isAtLeast(req.microversion, '2.10') ? firstValue(query.user_id) : undefined
}

/** Compute routes: keypairs (`/os-keypairs`), which belong to a user, not a project. */
export function keypairsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const keypairs = ctx.services.keypairs
  const base = () => `${ctx.publicUrl()}/compute`

  return async (app) => {
    app.post('/os-keypairs', { schema: { body: KeypairCreateBody, response: KeypairResponse } }, async (req, reply) => {
      const k = req.body.keypair
      if (k.type !== undefined && !isAtLeast(req.microversion, '2.2')) throw unexpected('type')
      if (k.user_id !== undefined && !isAtLeast(req.microversion, '2.10')) throw unexpected('user_id')
      const { keypair, privateKey } = await keypairs.createKeypair(req.auth, { name: k.name, type: k.type, publicKey: k.public_key, userId: k.user_id })
      reply.status(isAtLeast(req.microversion, '2.2') ? 201 : 200)
      return keypairCreatedView(keypair, privateKey, req.microversion)
    })
    app.get('/os-keypairs', { schema: { querystring: KeypairQuery, response: KeypairListResponse } }, async (req) => {
      const paged = isAtLeast(req.microversion, '2.35')
      const userId = userIdOf(req, req.query, ['user_id', 'limit', 'marker'])
      const { limit, marker } = paged ? limitAndMarker(req.query) : { limit: undefined, marker: undefined }
      const list = await keypairs.listKeypairs(req.auth, { userId, limit, marker })
      const links = paged ? collectionLinks(base(), 'os-keypairs', req.query, list.length, limit, list.at(-1)?.name) : undefined
      return { keypairs: list.map((k) => keypairSummaryView(k, req.microversion)), ...(links ? { keypairs_links: links } : {}) }
    })
    app.get('/os-keypairs/:name', { schema: { params: KeypairNameParams, querystring: KeypairQuery, response: KeypairResponse } }, async (req) => {
      const userId = userIdOf(req, req.query, ['user_id'])
      return keypairView(await keypairs.getKeypair(req.auth, req.params.name, userId), req.microversion)
    })
    app.delete('/os-keypairs/:name', { schema: { params: KeypairNameParams, querystring: KeypairQuery } }, async (req, reply) => {
      const userId = userIdOf(req, req.query, ['user_id'])
      await keypairs.deleteKeypair(req.auth, req.params.name, userId)
      reply.status(isAtLeast(req.microversion, '2.2') ? 204 : 202).send()
    })
  }
}
