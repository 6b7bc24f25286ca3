import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { LifeboatError } from '../../services/errors.js'
import { PolicyNotAuthorized } from '../../services/policy.js'
import { statusTitle } from '../common/envelopes.js'
import { BODY_TOO_LARGE, REQUEST_TOO_LARGE } from '../common/error-handling.js'
import { isAtLeast } from '../common/microversion.js'
import { PlacementCode } from '../../services/placement/placement-errors.js'
import { ApiErrorCode } from '../common/error-codes.js'

/** The versions Placement serves; the root document and 406 errors name them. */
export const PLACEMENT_MIN_VERSION = '1.0'
export const PLACEMENT_MAX_VERSION = '1.39'

// webob's explanation texts: Placement's `detail` is "<explanation>\n\n <message>  ".
function explanation(status: number, req: FastifyRequest): string {
  switch (status) {
    case 400: return 'The server could not comply with the request since it is either malformed or otherwise incorrect.'
    case 401: return 'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.'
    case 403: return 'Access was denied to this resource.'
    case 404: return 'The resource could not be found.'
    case 405: return `The method ${req.method} is not allowed for this resource. `
    case 406: return `The resource could not be generated that was acceptable to your browser (content of type ${String(req.headers.accept ?? '*/*')}. `
    case 409: return 'There was a conflict when trying to complete your request.'
    case 415: return `The request media type ${String(req.headers['content-type'] ?? 'None')} is not supported by this server.`
    default: return 'The server has either erred or is incapable of performing the requested operation.'
  }
}

function requestedVersion(req: FastifyRequest): string {
  const header = req.headers['openstack-api-version']
  const text = Array.isArray(header) ? header.join(',') : header ?? ''
  for (const part of text.split(',')) {
    const [service, ...rest] = part.trim().split(/\s+/)
    if (service?.toLowerCase() === 'placement') return rest.join(' ')
  }
  return ''
}

interface Mapped {
  status: number
  message: string
  code?: string
}

function mapError(error: FastifyError, req: FastifyRequest): Mapped {
  if (error instanceof PolicyNotAuthorized) return { status: 403, message: `Policy does not allow ${error.rule} to be performed.` }
  if (error instanceof LifeboatError) {
    if (error.code === ApiErrorCode.MICROVERSION_OUT_OF_RANGE) return { status: 406, message: `Unacceptable version header: ${requestedVersion(req)}` }
    if (error.code === ApiErrorCode.INVALID_MICROVERSION) return { status: 400, message: `invalid version string: ${requestedVersion(req)}` }
    if (error.code === ApiErrorCode.MALFORMED_JSON) return { status: 400, message: 'Malformed JSON: Expecting value: line 1 column 1 (char 0)' }
    return { status: error.status, message: error.message, code: error.code.startsWith('placement.') ? error.code : undefined }
  }
  if (error.validation) return { status: 400, message: `JSON does not validate: ${error.message}` }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, message: `The media type ${String(req.headers['content-type'] ?? 'None')} is not supported, use application/json` }
  }
  if (error.code === BODY_TOO_LARGE) return { status: 413, message: REQUEST_TOO_LARGE }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return { status: error.statusCode, message: error.message }
  req.log.error({ err: error, method: req.method, url: req.routeOptions.url ?? req.url }, 'unexpected error')
  return { status: 500, message: '' }
}

/** The Placement error body (util.json_error_formatter), `code` from 1.23, version bounds on a 406. */
export function placementErrorBody(req: FastifyRequest, status: number, message: string, code?: string): unknown {
  const entry: Record<string, unknown> = {
    status,
    title: statusTitle(status),
    detail: `${explanation(status, req)}\n\n ${message}  `,
  }
  if (req.microversion && isAtLeast(req.microversion, '1.23')) entry.code = code ?? PlacementCode.DEFAULT
  entry.request_id = req.id
  if (status === 406) {
    entry.max_version = PLACEMENT_MAX_VERSION
    entry.min_version = PLACEMENT_MIN_VERSION
  }
  return { errors: [entry] }
}

/**
 * Placement's error envelope for the whole plugin:
 * `{"errors": [{status, title, detail, code, request_id}]}`.
 */
export function installPlacementErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const { status, message, code } = mapError(error, req)
    if (error instanceof LifeboatError) for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
    void reply.status(status).type('application/json').send(placementErrorBody(req, status, message, code))
  })
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).type('application/json').send(placementErrorBody(req, 404, ''))
  })
}
