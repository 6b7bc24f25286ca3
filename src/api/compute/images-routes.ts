import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { isAtLeast } from '../common/microversion.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { ImageProxy, type ImageProxyQuery } from '../../services/compute/image-proxy.js'
import { imageSummaryView, imageView } from './views/image-view.js'
import { collectionLinks } from './views/resource-links.js'
import { firstValue, limitAndMarker, type QueryValue } from './paging.js'
import { ImageDetailListResponse, ImageResponse, ImageSummaryListResponse, ImageMetadataResponse, ImageMetaItemResponse } from './schemas/host-image-responses.js'

const Query = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))
const IdParams = Type.Object({ id: Type.String() })
const KeyParams = Type.Object({ id: Type.String(), key: Type.String() })
const metaKey = '^[a-zA-Z0-9-_:. ]{1,255}$'
const MetadataBody = Type.Object({ metadata: Type.Record(Type.String({ pattern: metaKey }), Type.String({ maxLength: 255 })) }, { additionalProperties: false })
const MetaItemBody = Type.Object({
  meta: Type.Record(Type.String({ pattern: metaKey }), Type.String({ maxLength: 255 }), { minProperties: 1, maxProperties: 1 }),
}, { additionalProperties: false })

/** The image proxy ends at 2.35 and image metadata at 2.38; later versions are a plain 404, as Nova. */
function assertVersion(req: FastifyRequest, lastMinor: number): void {
  if (isAtLeast(req.microversion, `2.${lastMinor + 1}`)) throw new NotFound('The resource could not be found.')
}

function intFilter(query: Record<string, QueryValue>, name: string): number | undefined {
  const value = firstValue(query[name])
  if (value === undefined) return undefined
  if (!/^\s*\d+\s*$/.test(value)) throw new InvalidRequest(`Invalid ${name} filter [${value}]`)
  return Number(value)
}

function proxyQuery(query: Record<string, QueryValue>): ImageProxyQuery {
  const properties: Record<string, string> = {}
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('property-') && firstValue(value) !== undefined) properties[key.slice('property-'.length)] = firstValue(value)!
  }
  return {
    ...limitAndMarker(query), name: firstValue(query.name), status: firstValue(query.status), changesSince: firstValue(query['changes-since']),
    server: firstValue(query.server), type: firstValue(query.type), minRam: intFilter(query, 'minRam'), minDisk: intFilter(query, 'minDisk'), properties,
  }
}

/** Compute routes: Nova's image proxy (`/images`, up to 2.35) and image metadata (up to 2.38), over the image service. */
export function imagesRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const proxy = new ImageProxy(ctx.services.images)
  const base = () => `${ctx.publicUrl()}/compute`
  const imageBase = () => `${ctx.publicUrl()}/image`

  return async (app) => {
    app.get('/images', { schema: { querystring: Query, response: ImageSummaryListResponse } }, async (req) => {
      assertVersion(req, 35)
      const q = proxyQuery(req.query)
      const images = await proxy.listImages(req.auth, q)
      const links = collectionLinks(base(), 'images', req.query, images.length, q.limit, images.at(-1)?.id)
      return { images: images.map((i) => imageSummaryView(i, base(), imageBase())), ...(links ? { images_links: links } : {}) }
    })
    app.get('/images/detail', { schema: { querystring: Query, response: ImageDetailListResponse } }, async (req) => {
      assertVersion(req, 35)
      const q = proxyQuery(req.query)
      const images = await proxy.listImages(req.auth, q)
      const links = collectionLinks(base(), 'images/detail', req.query, images.length, q.limit, images.at(-1)?.id)
      return { images: images.map((i) => imageView(i, base(), imageBase())), ...(links ? { images_links: links } : {}) }
    })
    app.get('/images/:id', { schema: { params: IdParams, response: ImageResponse } }, async (req) => {
      assertVersion(req, 35)
      return { image: imageView(await proxy.getImage(req.auth, req.params.id), base(), imageBase()) }
    })
    app.delete('/images/:id', { schema: { params: IdParams } }, async (req, reply) => {
      assertVersion(req, 35)
      await proxy.deleteImage(req.auth, req.params.id)
      reply.status(204).send()
    })

    app.get('/images/:id/metadata', { schema: { params: IdParams, response: ImageMetadataResponse } }, async (req) => {
      assertVersion(req, 38)
      return { metadata: (await proxy.getImage(req.auth, req.params.id)).properties }
    })
    app.post('/images/:id/metadata', { schema: { params: IdParams, body: MetadataBody, response: ImageMetadataResponse } }, async (req) => {
      assertVersion(req, 38)
      return { metadata: await proxy.setMetadata(req.auth, req.params.id, req.body.metadata, false) }
    })
    app.put('/images/:id/metadata', { schema: { params: IdParams, body: MetadataBody, response: ImageMetadataResponse } }, async (req) => {
      assertVersion(req, 38)
      await proxy.setMetadata(req.auth, req.params.id, req.body.metadata, true)
      return { metadata: req.body.metadata }
    })
    app.get('/images/:id/metadata/:key', { schema: { params: KeyParams, response: ImageMetaItemResponse } }, async (req) => {
      assertVersion(req, 38)
      const properties = (await proxy.getImage(req.auth, req.params.id)).properties
      if (!Object.hasOwn(properties, req.params.key)) throw new NotFound('The resource could not be found.')
      return { meta: { [req.params.key]: properties[req.params.key]! } }
    })
    app.put('/images/:id/metadata/:key', { schema: { params: KeyParams, body: MetaItemBody, response: ImageMetaItemResponse } }, async (req) => {
      assertVersion(req, 38)
      if (!Object.hasOwn(req.body.meta, req.params.key)) throw new InvalidRequest('Request body and URI mismatch')
      await proxy.setMetadata(req.auth, req.params.id, req.body.meta, false)
      return { meta: req.body.meta }
    })
    app.delete('/images/:id/metadata/:key', { schema: { params: KeyParams } }, async (req, reply) => {
      assertVersion(req, 38)
      await proxy.deleteMetadataItem(req.auth, req.params.id, req.params.key)
      reply.status(204).send()
    })
  }
}
