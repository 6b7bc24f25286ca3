import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { ImageIdParams, MemberCreateBody, MemberParams, MemberUpdateBody } from './schemas.js'
import { memberView } from './views.js'
import { imageSchema, imagesSchema, memberSchema, membersSchema } from './glance-schemas.js'
import { MemberListResponse, MemberResponse, JsonSchemaDocumentResponse } from './response-schemas.js'

/** Image members (sharing) and the JSON schemas the clients read. */
export function memberRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { images } = ctx.services
  return async (app) => {
    app.get('/v2/images/:id/members', { schema: { params: ImageIdParams, response: MemberListResponse } }, async (req) => ({
      members: (await images.listMembers(req.auth, req.params.id)).map(memberView),
      schema: '/v2/schemas/members',
    }))
    app.post('/v2/images/:id/members', { schema: { params: ImageIdParams, body: MemberCreateBody, response: MemberResponse } }, async (req) =>
      memberView(await images.addMember(req.auth, req.params.id, req.body.member)))
    app.get('/v2/images/:id/members/:memberId', { schema: { params: MemberParams, response: MemberResponse } }, async (req) =>
      memberView(await images.getMember(req.auth, req.params.id, req.params.memberId)))
    app.put('/v2/images/:id/members/:memberId', { schema: { params: MemberParams, body: MemberUpdateBody, response: MemberResponse } }, async (req) =>
      memberView(await images.updateMember(req.auth, req.params.id, req.params.memberId, req.body.status)))
    app.delete('/v2/images/:id/members/:memberId', { schema: { params: MemberParams } }, async (req, reply) => {
      await images.removeMember(req.auth, req.params.id, req.params.memberId)
      reply.status(204).send()
    })

    app.get('/v2/schemas/image', { schema: { response: JsonSchemaDocumentResponse } }, async () => imageSchema())
    app.get('/v2/schemas/images', { schema: { response: JsonSchemaDocumentResponse } }, async () => imagesSchema())
    app.get('/v2/schemas/member', { schema: { response: JsonSchemaDocumentResponse } }, async () => memberSchema())
    app.get('/v2/schemas/members', { schema: { response: JsonSchemaDocumentResponse } }, async () => membersSchema())
  }
}
