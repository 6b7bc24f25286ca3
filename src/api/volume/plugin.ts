import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { ApiContext } from '../context.js'
import { installErrorHandling } from '../common/error-handling.js'
import { novaEnvelope } from '../common/envelopes.js'
import { installTokenCheck } from '../common/auth.js'
import { installMicroversions, isAtLeast } from '../common/microversion.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { volumeRoutes } from './volume-routes.js'
import { volumeActionRoutes } from './volume-action-routes.js'
import { snapshotRoutes } from './snapshot-routes.js'
import { attachmentRoutes } from './attachment-routes.js'
import { miscRoutes } from './misc-routes.js'
import { ApiErrorCode } from '../common/error-codes.js'
import { VolumeVersionsResponse } from './misc-response-schemas.js'

/** The microversions served: Cinder's 3.0 up to 3.70 (3.71, extend completion, is not). */
export const VOLUME_MICROVERSIONS = { service: 'volume', min: '3.0', max: '3.70' } as const

const UPDATED = '2023-08-31T00:00:00Z'

/** Cinder's versions document (cinder/api/versions.py) with absolute links. */
function versionsDocument(base: string) {
  return {
    versions: [{
      id: 'v3.0',
      status: 'CURRENT',
      version: VOLUME_MICROVERSIONS.max,
      min_version: VOLUME_MICROVERSIONS.min,
      updated: UPDATED,
      links: [
        { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
        { rel: 'self', href: `${base}/v3/` },
      ],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
    }],
  }
}

async function registerAll(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  await app.register(volumeRoutes(ctx))
  await app.register(volumeActionRoutes(ctx))
  await app.register(snapshotRoutes(ctx))
  await app.register(attachmentRoutes(ctx))
  await app.register(miscRoutes(ctx))
}

/**
 * `/volume`: the Cinder v3 subset, with Cinder's (Nova's) error envelope and
 * microversions. Resources live under `/v3/{project_id}`, and (3.67+) under
 * `/v3` with the project taken from the token.
 */
export function volumePlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    installErrorHandling(app, novaEnvelope)
    installMicroversions(app, VOLUME_MICROVERSIONS)
    installTokenCheck(app, ctx.services.tokens)
    const base = () => `${ctx.publicUrl()}/volume`
    // Cinder answers its root with 300 Multiple Choices and /v3/ with the same list.
    app.get('/', { config: { public: true }, schema: { response: VolumeVersionsResponse } }, async (_req, reply) => {
      reply.status(300)
      return versionsDocument(base())
    })
    app.get('/v3', { config: { public: true }, schema: { response: VolumeVersionsResponse } }, async () => versionsDocument(base()))

    await app.register(async (scoped) => {
      // cinder/api/openstack/wsgi.py: a project id in the URL other than the token's is a 400, admins included.
      scoped.addHook('preHandler', async (req) => {
        const projectId = (req.params as { project_id?: string }).project_id
        if (projectId !== undefined && projectId !== req.auth.projectId) throw new InvalidRequest('Malformed request url', ApiErrorCode.MALFORMED_REQUEST_URL)
      })
      await registerAll(scoped, ctx)
    }, { prefix: '/v3/:project_id' })

    await app.register(async (unscoped) => {
      unscoped.addHook('preHandler', async (req) => {
        if (!isAtLeast(req.microversion, '3.67')) throw new NotFound('The resource could not be found.')
      })
      await registerAll(unscoped, ctx)
    }, { prefix: '/v3' })
  }
}
