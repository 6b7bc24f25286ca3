import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ApiContext } from './context.js'
import { identityPlugin } from './identity/plugin.js'
import { imagePlugin } from './image/plugin.js'
import { volumePlugin } from './volume/plugin.js'
import { placementPlugin } from './placement/plugin.js'
import { computePlugin } from './compute/plugin.js'
import { agentPlugin } from './agent/plugin.js'
import { keystoneEnvelope } from './common/envelopes.js'
import { installErrorHandling } from './common/error-handling.js'
import { InvalidRequest } from '../services/errors.js'
import { ApiErrorCode } from './common/error-codes.js'

/** Where the log goes; `false` silences it (tests). */
export type LoggerOption = boolean | { level: string }

/** Log redaction, set once where the logger is built: secrets never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'req.headers.authorization',
  '*.password', '*.adminPass', '*.token', 'password', 'adminPass',
]

/**
 * Builds the HTTP app with every OpenStack service under its DevStack-like
 * prefix. Never listens: the caller does (`server.ts`), tests too.
 */
export async function buildApp(ctx: ApiContext, logger: LoggerOption = { level: ctx.config.logLevel }): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger === false ? false : { ...(typeof logger === 'object' ? logger : {}), redact: REDACTED_PATHS },
    genReqId: () => `req-${randomUUID()}`,
    bodyLimit: 1024 * 1024,
    exposeHeadRoutes: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, allowUnionTypes: true } },
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorateRequest('auth', null as unknown as never)
  app.decorateRequest('microversion', null as unknown as never)

  // An empty JSON body is "no body" (DELETE with a content type, `null` actions).
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new InvalidRequest('Malformed request body', ApiErrorCode.MALFORMED_JSON), undefined)
    }
  })

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id)
  })

  installErrorHandling(app, keystoneEnvelope)
  app.get('/', async () => ({
    name: 'lifeboat',
    services: ['identity', 'compute', 'image', 'volume', 'placement'].map((s) => ({ name: s, href: `${ctx.publicUrl()}/${s}` })),
  }))
  await app.register(identityPlugin(ctx), { prefix: '/identity' })
  await app.register(imagePlugin(ctx), { prefix: '/image' })
  await app.register(volumePlugin(ctx), { prefix: '/volume' })
  await app.register(placementPlugin(ctx), { prefix: '/placement' })
  await app.register(computePlugin(ctx), { prefix: '/compute' })
  await app.register(agentPlugin(ctx), { prefix: '/agent/v1' })
  return app
}
