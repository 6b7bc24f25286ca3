import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { InvalidRequest } from '../../services/errors.js'
import { isAtLeast } from '../common/microversion.js'
import { parseLimit } from '../../services/volume/volume-list.js'
import { AttachmentAction, AttachmentCreate, AttachmentUpdate, IdParams, ProjectParams } from './schemas.js'
import { queryBool, queryParam, requireMicroversion } from './request-helpers.js'
import { attachmentSummaryView, attachmentView } from './views.js'
import { AttachmentListResponse, AttachmentResponse } from './response-schemas.js'

/** The attachments API (3.27+; `os-complete` 3.44+): what Nova uses to attach a volume. */
export function attachmentRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const attachments = ctx.services.volumes.attachments
  return async (app) => {
    app.addHook('preHandler', async (req) => requireMicroversion(req, '3.27'))

    const list = async (req: FastifyRequest, detail: boolean) => {
      const found = await attachments.list(req.auth, {
        volumeId: queryParam(req, 'volume_id'), status: queryParam(req, 'status') ?? queryParam(req, 'attach_status'),
        instanceId: queryParam(req, 'instance_id'), allTenants: queryBool(req, 'all_tenants'), limit: parseLimit(queryParam(req, 'limit')),
      })
      return { attachments: found.map(detail ? attachmentView : attachmentSummaryView) }
    }
    app.get('/attachments', { schema: { params: ProjectParams, response: AttachmentListResponse } }, (req) => list(req, false))
    app.get('/attachments/detail', { schema: { params: ProjectParams, response: AttachmentListResponse } }, (req) => list(req, true))

    app.get('/attachments/:id', { schema: { params: IdParams, response: AttachmentResponse } }, async (req) => {
      return { attachment: attachmentView(await attachments.show(req.auth, req.params.id)) }
    })

    // Cinder answers create with 200 and the detail view.
    app.post('/attachments', { schema: { params: ProjectParams, body: AttachmentCreate, response: AttachmentResponse } }, async (req) => {
      const a = req.body.attachment
      const mode = isAtLeast(req.microversion, '3.54') ? a.mode ?? 'null' : 'null'
      const attachment = await attachments.create(req.auth, {
        volumeId: a.volume_uuid, instanceUuid: a.instance_uuid ?? null, connector: a.connector ?? null, mode,
      })
      return { attachment: attachmentView(attachment) }
    })

    app.put('/attachments/:id', { schema: { params: IdParams, body: AttachmentUpdate, response: AttachmentResponse } }, async (req) => {
      return { attachment: attachmentView(await attachments.update(req.auth, req.params.id, req.body.attachment.connector)) }
    })

    app.post('/attachments/:id/action', { schema: { params: IdParams, body: AttachmentAction } }, async (req, reply) => {
      const name = Object.keys(req.body ?? {})[0]
      if (name !== 'os-complete') throw new InvalidRequest(`There is no such action: ${name ?? ''}`)
      requireMicroversion(req, '3.44')
      await attachments.complete(req.auth, req.params.id)
      reply.status(204).send()
    })

    app.delete('/attachments/:id', { schema: { params: IdParams, response: AttachmentListResponse } }, async (req) => {
      return { attachments: (await attachments.delete(req.auth, req.params.id)).map(attachmentSummaryView) }
    })
  }
}
