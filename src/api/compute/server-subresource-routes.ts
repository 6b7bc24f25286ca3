import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { callOf } from './server-route-helpers.js'
import { serverSecurityGroupsView } from './views/security-group-view.js'
import { actionView, eventView } from './views/instance-action-view.js'
import { attachmentView } from './views/volume-attachment-view.js'
import { isAtLeast } from '../common/microversion.js'
import { InvalidRequest } from '../../services/errors.js'
import { limitAndMarker } from './paging.js'
import { collectionLinks } from './views/resource-links.js'
import { dateTimeQuery } from './query-checks.js'
import type { ActionListPage } from '../../services/compute/instance-action-queries.js'
import { InstanceActionListResponse, InstanceActionResponse, ServerIpsResponse, ServerMetadataResponse, ServerMetaItemResponse, ServerTagsResponse, VolumeAttachmentListResponse, VolumeAttachmentResponse } from './schemas/server-subresource-responses.js'
import { SecurityGroupListResponse } from './schemas/security-groups.js'

const IdParams = Type.Object({ id: Type.String() })
const ActionsQuery = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))

const VolumeParams = Type.Object({ id: Type.String(), volumeId: Type.String() })
const KeyParams = Type.Object({ id: Type.String(), key: Type.String() })
const TagParams = Type.Object({ id: Type.String(), tag: Type.String() })
const RequestParams = Type.Object({ id: Type.String(), requestId: Type.String() })
const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }))
const AttachBody = Type.Object({
  volumeAttachment: Type.Object({
    volumeId: Type.String({ minLength: 1 }),
    device: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    tag: Type.Optional(Type.String({ maxLength: 60 })),
    delete_on_termination: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
}, { additionalProperties: false })

/** Everything under /servers/{id}/: actions log, volume attachments, metadata, tags, security groups (ips: server-network-routes.ts). */
export function serverSubresourceRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const compute = () => ctx.services.compute
  return async (app) => {
    app.get('/servers/:id/os-instance-actions', { schema: { params: IdParams, querystring: ActionsQuery, response: InstanceActionListResponse } }, async (req) => {
      // 2.58: paged (limit capped at max_limit, marker = request_id) with a next link; changes-since; 2.66 changes-before.
      const paged = isAtLeast(req.microversion, '2.58')
      const page: ActionListPage = paged ? {
        ...limitAndMarker(req.query),
        changesSince: dateTimeQuery(req.query, 'changes-since'),
        changesBefore: isAtLeast(req.microversion, '2.66') ? dateTimeQuery(req.query, 'changes-before') : undefined,
      } : {}
      const actions = await compute().listInstanceActions(callOf(req), req.params.id, page)
      const links = paged ? collectionLinks(`${ctx.publicUrl()}/compute`, `servers/${req.params.id}/os-instance-actions`, req.query, actions.length, page.limit, actions.at(-1)?.request_id) : undefined
      return { instanceActions: actions.map((a) => actionView(a, req.microversion)), ...(links ? { links } : {}) }
    })
    app.get('/servers/:id/os-instance-actions/:requestId', { schema: { params: RequestParams, response: InstanceActionResponse } }, async (req) => {
      const { action, events } = await compute().showInstanceAction(callOf(req), req.params.id, req.params.requestId)
      return { instanceAction: { ...actionView(action, req.microversion), events: events.map((e) => eventView(e, req.microversion, req.auth.isAdmin, action.project_id)) } }
    })

    app.get('/servers/:id/os-volume_attachments', { schema: { params: IdParams, response: VolumeAttachmentListResponse } }, async (req) => {
      const bdms = await compute().listVolumeAttachments(callOf(req), req.params.id)
      return { volumeAttachments: bdms.map((b) => attachmentView(b, req.params.id, req.microversion)) }
    })
    app.get('/servers/:id/os-volume_attachments/:volumeId', { schema: { params: VolumeParams, response: VolumeAttachmentResponse } }, async (req) => {
      const bdm = await compute().getVolumeAttachment(callOf(req), req.params.id, req.params.volumeId)
      return { volumeAttachment: attachmentView(bdm, req.params.id, req.microversion) }
    })
    app.post('/servers/:id/os-volume_attachments', { schema: { params: IdParams, body: AttachBody, response: VolumeAttachmentResponse } }, async (req) => {
      const body = req.body.volumeAttachment
      if (body.tag !== undefined && !isAtLeast(req.microversion, '2.49')) throw new InvalidRequest("Invalid input for field/attribute volumeAttachment. Additional properties are not allowed ('tag' was unexpected)")
      if (body.delete_on_termination !== undefined && !isAtLeast(req.microversion, '2.79')) throw new InvalidRequest("Invalid input for field/attribute volumeAttachment. Additional properties are not allowed ('delete_on_termination' was unexpected)")
      const bdm = await compute().attachVolume(callOf(req), req.params.id, { volumeId: body.volumeId, device: body.device, tag: body.tag, deleteOnTermination: body.delete_on_termination })
      return { volumeAttachment: attachmentView(bdm, req.params.id, req.microversion) }
    })
    app.delete('/servers/:id/os-volume_attachments/:volumeId', { schema: { params: VolumeParams } }, async (req, reply) => {
      await compute().detachVolume(callOf(req), req.params.id, req.params.volumeId)
      reply.status(202).send()
    })

    app.get('/servers/:id/metadata', { schema: { params: IdParams, response: ServerMetadataResponse } }, async (req) => ({ metadata: await compute().metadata.list(callOf(req), req.params.id) }))
    app.put('/servers/:id/metadata', { schema: { params: IdParams, body: Type.Object({ metadata: Metadata }, { additionalProperties: false }), response: ServerMetadataResponse } }, async (req) => ({
      metadata: await compute().metadata.set(callOf(req), req.params.id, req.body.metadata, true),
    }))
    app.post('/servers/:id/metadata', { schema: { params: IdParams, body: Type.Object({ metadata: Metadata }, { additionalProperties: false }), response: ServerMetadataResponse } }, async (req) => ({
      metadata: await compute().metadata.set(callOf(req), req.params.id, req.body.metadata, false),
    }))
    app.get('/servers/:id/metadata/:key', { schema: { params: KeyParams, response: ServerMetaItemResponse } }, async (req) => ({
      meta: { [req.params.key]: await compute().metadata.show(callOf(req), req.params.id, req.params.key) },
    }))
    app.put('/servers/:id/metadata/:key', { schema: { params: KeyParams, body: Type.Object({ meta: Metadata }, { additionalProperties: false }), response: ServerMetaItemResponse } }, async (req) => {
      const entries = Object.entries(req.body.meta)
      if (entries.length !== 1 || entries[0]![0] !== req.params.key) throw new InvalidRequest('Request body and URI mismatch')
      await compute().metadata.set(callOf(req), req.params.id, req.body.meta, false)
      return { meta: req.body.meta }
    })
    app.delete('/servers/:id/metadata/:key', { schema: { params: KeyParams } }, async (req, reply) => {
      await compute().metadata.remove(callOf(req), req.params.id, req.params.key)
      reply.status(204).send()
    })

    app.get('/servers/:id/tags', { schema: { params: IdParams, response: ServerTagsResponse } }, async (req) => ({ tags: await compute().tags.list(callOf(req), req.params.id) }))
    app.put('/servers/:id/tags', { schema: { params: IdParams, body: Type.Object({ tags: Type.Array(Type.String({ minLength: 1, maxLength: 60, pattern: '^[^,/]*$' })) }, { additionalProperties: false }), response: ServerTagsResponse } }, async (req) => ({
      tags: await compute().tags.replace(callOf(req), req.params.id, req.body.tags),
    }))
    app.delete('/servers/:id/tags', { schema: { params: IdParams } }, async (req, reply) => {
      await compute().tags.remove(callOf(req), req.params.id, null)
      reply.status(204).send()
    })
    app.get('/servers/:id/tags/:tag', { schema: { params: TagParams } }, async (req, reply) => {
      await compute().tags.has(callOf(req), req.params.id, req.params.tag)
      reply.status(204).send()
    })
    app.put('/servers/:id/tags/:tag', { schema: { params: TagParams } }, async (req, reply) => {
      if (req.params.tag.length > 60 || /[,/]/.test(req.params.tag)) throw new InvalidRequest(`Tag '${req.params.tag}' is invalid.`)
      const created = await compute().tags.add(callOf(req), req.params.id, req.params.tag)
      reply.status(created ? 201 : 204).header('Location', `${ctx.publicUrl()}/compute/v2.1/servers/${encodeURIComponent(req.params.id)}/tags/${encodeURIComponent(req.params.tag)}`).send()
    })
    app.delete('/servers/:id/tags/:tag', { schema: { params: TagParams } }, async (req, reply) => {
      await compute().tags.remove(callOf(req), req.params.id, req.params.tag)
      reply.status(204).send()
    })

    app.get('/servers/:id/os-security-groups', { schema: { params: IdParams, response: SecurityGroupListResponse } }, async (req) => {
      const details = await compute().showServer(callOf(req), req.params.id)
      return serverSecurityGroupsView(await ctx.services.securityGroups.groupsOfServer(details.row.uuid))
    })
  }
}
