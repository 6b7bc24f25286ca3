import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import type { RawQuery } from '../../services/image/image-list.js'
import { ActionParams, ImageCreateBody, ImageIdParams, ImagePatchBody, TagParams } from './schemas.js'
import { imageListView, imageView } from './views.js'
import { ImageListResponse, ImageResponse } from './response-schemas.js'

/** Images: create, list, show, patch, delete, tags and (de)activation (Glance v2). */
export function imageRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { images } = ctx.services
  return async (app) => {
    app.post('/v2/images', { schema: { body: ImageCreateBody, response: ImageResponse } }, async (req, reply) => {
      const image = await images.createImage(req.auth, req.body)
      reply.status(201).header('location', `${ctx.publicUrl()}/image/v2/images/${image.id}`)
      return imageView(image)
    })
    app.get('/v2/images', { schema: { response: ImageListResponse } }, async (req) => {
      const query = req.query as RawQuery
      const page = await images.listImages(req.auth, query)
      return imageListView(page.images, query, page.nextMarker)
    })
    app.get('/v2/images/:id', { schema: { params: ImageIdParams, response: ImageResponse } }, async (req) => imageView(await images.getImage(req.auth, req.params.id)))
    app.patch('/v2/images/:id', { schema: { params: ImageIdParams, body: ImagePatchBody, response: ImageResponse } }, async (req) => {
      return imageView(await images.updateImage(req.auth, req.params.id, req.headers['content-type'], req.body))
    })
    app.delete('/v2/images/:id', { schema: { params: ImageIdParams } }, async (req, reply) => {
      await images.deleteImage(req.auth, req.params.id)
      reply.status(204).send()
    })
    app.put('/v2/images/:id/tags/:tag', { schema: { params: TagParams } }, async (req, reply) => {
      await images.addTag(req.auth, req.params.id, req.params.tag)
      reply.status(204).send()
    })
    app.delete('/v2/images/:id/tags/:tag', { schema: { params: TagParams } }, async (req, reply) => {
      await images.removeTag(req.auth, req.params.id, req.params.tag)
      reply.status(204).send()
    })
    app.post('/v2/images/:id/actions/:action', { schema: { params: ActionParams } }, async (req, reply) => {
      await images.setActivation(req.auth, req.params.id, req.params.action)
      reply.status(204).send()
    })
  }
}
