import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { installErrorHandling } from '../common/error-handling.js'
import { glanceEnvelope } from '../common/envelopes.js'
import { installTokenCheck } from '../common/auth.js'
import { PUBLIC_JSON_LIMITS, jsonLimitProblem } from '../../util/json-limits.js'
import { ApiErrorCode } from '../common/error-codes.js'
import { InvalidRequest, UnsupportedMediaType } from '../../services/errors.js'
import { PATCH_MEDIA_TYPES, PatchMediaTypeUnsupported } from '../../services/image/image-patch.js'
import { imageRoutes } from './image-routes.js'
import { imageDataRoutes } from './image-data-routes.js'
import { memberRoutes } from './member-routes.js'
import { VersionsResponse } from './response-schemas.js'

// glance/api/versions.py without the cache and multi-store versions.
const VERSIONS: Array<[string, 'CURRENT' | 'SUPPORTED']> = [
  ['2.15', 'SUPPORTED'], ['2.9', 'SUPPORTED'], ['2.17', 'CURRENT'], ['2.7', 'SUPPORTED'], ['2.6', 'SUPPORTED'], ['2.5', 'SUPPORTED'],
  ['2.4', 'SUPPORTED'], ['2.3', 'SUPPORTED'], ['2.2', 'SUPPORTED'], ['2.1', 'SUPPORTED'], ['2.0', 'SUPPORTED'],
]

/** Glance's versions document; every href absolute. */
export function versionsDocument(base: string) {
  return { versions: VERSIONS.map(([id, status]) => ({ id: `v${id}`, status, links: [{ rel: 'self', href: `${base}/v2/` }] })) }
}

/** `/image`: the Glance v2 subset, with Glance's error envelope. */
export function imagePlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    installErrorHandling(app, glanceEnvelope)
    installTokenCheck(app, ctx.services.tokens)

    // Image data passes through as the raw request stream: uploads are never buffered.
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload))
    app.addContentTypeParser(Object.keys(PATCH_MEDIA_TYPES), { parseAs: 'string' }, (_req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8')
      if (text.trim() === '') return done(null, undefined)
      // The same limits as every JSON body (src/api/app.ts): too deep a patch is refused before parsing.
      if (jsonLimitProblem(text, PUBLIC_JSON_LIMITS)) return done(new InvalidRequest('Malformed JSON in request body.', ApiErrorCode.JSON_LIMIT), undefined)
      try {
        done(null, JSON.parse(text))
      } catch {
        done(new InvalidRequest('Malformed JSON in request body.', ApiErrorCode.MALFORMED_JSON), undefined)
      }
    })
    app.addContentTypeParser('*', (req, _payload, done) => {
      const type = req.headers['content-type'] ?? ''
      done(req.method === 'PATCH' ? new PatchMediaTypeUnsupported() : new UnsupportedMediaType(`Invalid content type ${type}`), undefined)
    })

    const base = () => `${ctx.publicUrl()}/image`
    // Glance answers its root with 300 Multiple Choices and /versions with 200.
    app.get('/', { config: { public: true }, schema: { response: VersionsResponse } }, async (_req, reply) => {
      reply.status(300)
      return versionsDocument(base())
    })
    app.get('/versions', { config: { public: true }, schema: { response: VersionsResponse } }, async () => versionsDocument(base()))

    await app.register(imageRoutes(ctx))
    await app.register(imageDataRoutes(ctx))
    await app.register(memberRoutes(ctx))
  }
}
