import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { installErrorHandling } from '../common/error-handling.js'
import { keystoneEnvelope } from '../common/envelopes.js'
import { installTokenCheck } from '../common/auth.js'
import { tokenRoutes } from './token-routes.js'
import { directoryRoutes } from './directory-routes.js'
import { VersionResponse, VersionsResponse } from './response-schemas.js'

const UPDATED = '2024-04-01T00:00:00Z'

function v3Document(base: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: UPDATED,
    links: [{ rel: 'self', href: `${base}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  }
}

/** `/identity`: the Keystone v3 subset, with Keystone's error envelope. */
export function identityPlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    installErrorHandling(app, keystoneEnvelope, 'The resource could not be found.')
    installTokenCheck(app, ctx.services.tokens)
    const base = () => `${ctx.publicUrl()}/identity`
    // Keystone answers its root with 300 Multiple Choices.
    app.get('/', { config: { public: true }, schema: { response: VersionsResponse } }, async (_req, reply) => {
      reply.status(300)
      return { versions: { values: [v3Document(base())] } }
    })
    app.get('/v3', { config: { public: true }, schema: { response: VersionResponse } }, async () => ({ version: v3Document(base()) }))
    await app.register(tokenRoutes(ctx))
    await app.register(directoryRoutes(ctx))
  }
}
