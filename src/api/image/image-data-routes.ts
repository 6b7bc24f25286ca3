import type { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { ImageIdParams } from './schemas.js'
import { openFileStream } from '../common/file-stream.js'
import { UnsupportedMediaType } from '../../services/errors.js'
import { ApiErrorCode } from '../common/error-codes.js'

/** Glance takes image data only as `application/octet-stream` (other types have parsers of their own, e.g. text/plain). */
function assertOctetStream(contentType: string | undefined): void {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (base !== 'application/octet-stream') throw new UnsupportedMediaType(`Invalid content type ${contentType ?? ''}`, ApiErrorCode.IMAGE_DATA_MEDIA_TYPE)
}

/** Uploads may be as large as disks; the octet-stream parser streams them, never buffering. */
export const UPLOAD_BODY_LIMIT = 64 * 1024 ** 3

/** `PUT/GET /v2/images/{id}/file`: image data streamed to and from the data folder. */
export function imageDataRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { images } = ctx.services
  return async (app) => {
    // The body is the raw byte stream (see the octet-stream parser in plugin.ts), so no body schema.
    // The type is checked before parsing too: a JSON body would be buffered up to the upload limit.
    const preParsing = async (req: { headers: { 'content-type'?: string } }) => assertOctetStream(req.headers['content-type'])
    app.put('/v2/images/:id/file', { schema: { params: ImageIdParams }, bodyLimit: UPLOAD_BODY_LIMIT, preParsing }, async (req, reply) => {
      assertOctetStream(req.headers['content-type'])
      await images.uploadImageData(req.auth, req.params.id, req.body as Readable)
      reply.status(204).send()
    })
    app.get('/v2/images/:id/file', { schema: { params: ImageIdParams } }, async (req, reply) => {
      const data = await images.openImageData(req.auth, req.params.id)
      const stream = data ? await openFileStream(data.path) : null
      // No data (or its file gone, e.g. deleted meanwhile): Glance answers 204 with no body.
      if (!data || !stream) return reply.status(204).send()
      reply.header('content-type', 'application/octet-stream').header('content-length', String(data.size))
      if (data.checksum) reply.header('content-md5', data.checksum)
      return reply.send(stream)
    })
  }
}
