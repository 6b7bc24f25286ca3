import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyInstance } from 'fastify'
import type { ApiContext } from '../context.js'
import { installTokenCheck } from '../common/auth.js'
import { BODY_TOO_LARGE, REQUEST_TOO_LARGE } from '../common/error-handling.js'
import { LifeboatError } from '../../services/errors.js'
import { NeutronError } from '../../services/network/network-errors.js'
import { resourceRoutes } from './resource-routes.js'
import { miscRoutes } from './misc-routes.js'
import { securityGroupRoutes } from './security-group-routes.js'
import { l3Routes } from './l3-routes.js'
import { ResourcesResponse, VersionsResponse } from './response-schemas.js'

// webob's exception class names, which Neutron puts in `type` for errors that are not its own.
const WEBOB_TYPES: Record<number, string> = {
  400: 'HTTPBadRequest', 401: 'HTTPUnauthorized', 403: 'HTTPForbidden', 404: 'HTTPNotFound', 405: 'HTTPMethodNotAllowed',
  406: 'HTTPNotAcceptable', 409: 'HTTPConflict', 413: 'HTTPRequestEntityTooLarge', 415: 'HTTPUnsupportedMediaType', 500: 'HTTPInternalServerError',
}

/** Neutron's error body: `{"NeutronError": {"type", "message", "detail"}}`. */
function neutronError(type: string, message: string) {
  return { NeutronError: { type, message, detail: '' } }
}

/** A schema failure in Neutron's words (neutron/api/v2/base.py `prepare_request_body` and attribute validators). */
function validationMessage(error: FastifyError): string {
  const first = error.validation?.[0]
  if (!first) return error.message
  if (first.keyword === 'additionalProperties' && first.params && 'additionalProperty' in first.params) {
    return `Unrecognized attribute(s) '${String(first.params.additionalProperty)}'`
  }
  const path = first.instancePath.split('/').filter(Boolean)
  const field = path.filter((p) => !/^[0-9]+$/.test(p)).pop()
  if (first.keyword === 'required' && first.params && 'missingProperty' in first.params) {
    const missing = String(first.params.missingProperty)
    return path.length === 0 ? `Unable to find '${missing}' in request body` : `Failed to parse request. Required attribute '${missing}' not specified`
  }
  if (error.validationContext !== 'body') return `Invalid input for ${error.validationContext ?? 'request'}. Reason: ${first.message ?? 'is invalid'}.`
  return `Invalid input for ${field ?? 'request body'}. Reason: ${first.message ?? 'is invalid'}.`
}

/** The network plugin's error envelope: Neutron's type and message for domain errors, webob's for the rest. */
function installNeutronErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    let status: number
    let type: string
    let message: string
    if (error instanceof LifeboatError) {
      status = error.status
      message = error.message
      type = error instanceof NeutronError ? error.type : error.status === 403 ? 'PolicyNotAuthorized' : WEBOB_TYPES[status] ?? 'HTTPError'
      if (status >= 500) req.log.error({ err: error }, 'request failed')
    } else if (error.validation) {
      status = 400
      type = 'HTTPBadRequest'
      message = validationMessage(error)
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode
      type = WEBOB_TYPES[status] ?? 'HTTPError'
      message = error.code === BODY_TOO_LARGE ? REQUEST_TOO_LARGE : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'Unsupported Content-Type' : error.message
    } else {
      status = 500
      type = 'HTTPInternalServerError'
      message = 'Request Failed: internal server error while processing your request.'
      req.log.error({ err: error, method: req.method, url: req.routeOptions.url ?? req.url }, 'unexpected error')
    }
    void reply.status(status).type('application/json').send(neutronError(type, message))
  })
  app.setNotFoundHandler((_req, reply) => {
    void reply.status(404).type('application/json').send(neutronError('HTTPNotFound', 'The resource could not be found.'))
  })
}

/** Neutron's versions document (`GET /`), with absolute links. */
function versionsDocument(base: string) {
  return { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${base}/v2.0/` }] }] }
}

/**
 * `/network`: the Neutron v2.0 subset (networks, subnets, ports, tags,
 * quotas, extensions) with Neutron's error body and default policy. The
 * catalog URL is unversioned (`<base>/network`): gophercloud and the SDK
 * append `v2.0/` themselves.
 */
export function networkPlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    installNeutronErrors(app)
    installTokenCheck(app, ctx.services.tokens)
    const base = () => `${ctx.publicUrl()}/network`
    app.get('/', { config: { public: true }, schema: { response: VersionsResponse } }, async () => versionsDocument(base()))
    app.get('/v2.0', { config: { public: true }, schema: { response: ResourcesResponse } }, async () => ({
      resources: ['network', 'subnet', 'port'].map((name) => ({ name, collection: `${name}s`, links: [{ rel: 'self', href: `${base()}/v2.0/${name}s` }] })),
    }))
    await app.register(async (v2) => {
      await v2.register(resourceRoutes(ctx))
      await v2.register(miscRoutes(ctx))
      await v2.register(securityGroupRoutes(ctx))
      await v2.register(l3Routes(ctx))
    }, { prefix: '/v2.0' })
  }
}
