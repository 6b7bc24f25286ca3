import { randomUUID } from 'node:crypto'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ApiContext } from './context.js'
import { identityPlugin } from './identity/plugin.js'
import { imagePlugin } from './image/plugin.js'
import { volumePlugin } from './volume/plugin.js'
import { placementPlugin } from './placement/plugin.js'
import { computePlugin } from './compute/plugin.js'
import { agentPlugin } from './agent/plugin.js'
import { installConsoleStreams } from './agent/console-routes.js'
import { networkPlugin } from './network/plugin.js'
import { lifeboatPlugin } from './lifeboat/plugin.js'
import { dashboardPlugin, prefersHtml } from './dashboard/plugin.js'
import { installMetrics } from './metrics/metrics-route.js'
import { keystoneEnvelope } from './common/envelopes.js'
import { installErrorHandling } from './common/error-handling.js'
import { installSecretGuard } from './common/secret-guard.js'
import { recordRoutes } from './common/route-table.js'
import { RootResponse } from './common/root-response.js'
import { lazyValidatorCompiler } from './common/lazy-validation.js'
import { InvalidRequest } from '../services/errors.js'
import { AGENT_JSON_LIMITS, PUBLIC_JSON_LIMITS, jsonLimitProblem, type JsonLimitProblem } from '../util/json-limits.js'
import type { Logger } from '../logging.js'
import type { ServerTls } from '../util/tls.js'
import { ApiErrorCode } from './common/error-codes.js'

export type { LoggerOption } from '../logging.js'

function jsonLimitMessage(problem: JsonLimitProblem): string {
  switch (problem.kind) {
    case 'depth': return `Invalid input: the request body nests deeper than ${problem.limit} levels.`
    case 'string': return `Invalid input: a string in the request body is longer than ${problem.limit} characters.`
    case 'nul': return NUL_MESSAGE
  }
}

const NUL_MESSAGE = 'Invalid input: the request contains a NUL character.'

/** True when a decoded path parameter, query key or query value holds a NUL, which no database text column takes. */
function hasNul(values: unknown): boolean {
  if (values === null || typeof values !== 'object') return false
  for (const [key, value] of Object.entries(values)) {
    // Keys too: Glance filters images by any unknown query key.
    if (key.includes('\u0000')) return true
    if (typeof value === 'string' && value.includes('\u0000')) return true
    if (Array.isArray(value) && value.some((v) => typeof v === 'string' && v.includes('\u0000'))) return true
  }
  return false
}

/** The agent API's plumbing (heartbeats, lease long-polls, events): no request log lines at info. */
const isAgentRequest = (req: { url?: string }) => req.url?.startsWith('/agent/v1/') === true

/** How the app's server is made. */
export interface AppServerOptions {
  /** Serve HTTPS with these (`loadServerTls(…).serverOptions`, src/util/tls.ts); absent: plain HTTP. */
  https?: ServerTls['serverOptions']
}

/**
 * Builds the HTTP app with every OpenStack service under its DevStack-like
 * prefix, logging to `log` (`src/logging.ts`). Never listens: the caller
 * does (`server.ts`), tests too.
 */
export async function buildApp(ctx: ApiContext, log: Logger, serverOptions: AppServerOptions = {}): Promise<FastifyInstance> {
  // Fastify's own logger type, so that the app's type stays the default one.
  const loggerInstance: FastifyBaseLogger = log
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: isAgentRequest }),
    genReqId: () => `req-${randomUUID()}`,
    bodyLimit: 1024 * 1024,
    exposeHeadRoutes: false,
    schemaController: { compilersFactory: { buildValidator: lazyValidatorCompiler() } },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, allowUnionTypes: true } },
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // Fastify's own https server (its timeouts and its log say https as they say http); typed as nothing so that
    // the app keeps the one (http) instance type: an https.Server is an http.Server with TLS underneath.
    ...((serverOptions.https ? { https: serverOptions.https } : {}) as object),
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorateRequest('auth', null as unknown as never)
  app.decorateRequest('microversion', null as unknown as never)

  // An empty JSON body is "no body" (DELETE with a content type, `null` actions).
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') return done(null, undefined)
    // Depth and string length before parsing: a deep document overflows the stack of every recursive consumer.
    const problem = jsonLimitProblem(text, isAgentRequest(req) ? AGENT_JSON_LIMITS : PUBLIC_JSON_LIMITS)
    if (problem) return done(new InvalidRequest(jsonLimitMessage(problem), ApiErrorCode.JSON_LIMIT), undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new InvalidRequest('Malformed request body', ApiErrorCode.MALFORMED_JSON), undefined)
    }
  })

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id)
    if (ctx.ready && !req.url.startsWith('/agent/')) await ctx.ready
  })
  // Before any schema or route code: each service's 400 (its plugin's error handler answers it).
  app.addHook('preValidation', async (req) => {
    if (hasNul(req.params) || hasNul(req.query)) throw new InvalidRequest(NUL_MESSAGE, ApiErrorCode.NUL_CHARACTER)
  })
  // The agent API's requests at debug only (failures are logged by the error handler).
  app.addHook('onResponse', async (req, reply) => {
    if (isAgentRequest(req)) req.log.debug({ method: req.method, url: req.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime }, 'agent request completed')
  })

  // Before any route: the response-schema rule's test reads this table.
  recordRoutes(app)
  installErrorHandling(app, keystoneEnvelope)
  installSecretGuard(app)
  app.get('/', { schema: { response: RootResponse } }, async (req, reply) => {
    // A browser opening the bare address gets the dashboard; API clients (JSON, */*) keep the service list.
    if (prefersHtml(req.headers.accept)) return reply.redirect('/dashboard/')
    return {
      name: 'lifeboat',
      services: ['identity', 'compute', 'image', 'volume', 'placement', 'network'].map((s) => ({ name: s, href: `${ctx.publicUrl()}/${s}` })),
    }
  })
  installMetrics(app, ctx)
  await app.register(identityPlugin(ctx), { prefix: '/identity' })
  await app.register(imagePlugin(ctx), { prefix: '/image' })
  await app.register(volumePlugin(ctx), { prefix: '/volume' })
  await app.register(placementPlugin(ctx), { prefix: '/placement' })
  await app.register(computePlugin(ctx), { prefix: '/compute' })
  await app.register(networkPlugin(ctx), { prefix: '/network' })
  await app.register(lifeboatPlugin(ctx), { prefix: '/lifeboat' })
  await app.register(agentPlugin(ctx), { prefix: '/agent/v1' })
  // The agents' console dial-backs: websocket upgrades on this listener, beside the agent routes.
  installConsoleStreams(app, ctx)
  await app.register(dashboardPlugin(ctx), { prefix: '/dashboard' })
  return app
}
