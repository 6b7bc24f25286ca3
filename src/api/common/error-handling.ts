import type { FastifyError, FastifyInstance } from 'fastify'
import { LifeboatError } from '../../services/errors.js'
import type { ErrorEnvelope } from './envelopes.js'

/** Fastify's code for a body over the size limit, and the text oslo's sizelimit middleware answers it with. */
export const BODY_TOO_LARGE = 'FST_ERR_CTP_BODY_TOO_LARGE'
export const REQUEST_TOO_LARGE = 'Request is too large.'

/** Fastify's own validation error text turned into Nova-like wording. */
function validationMessage(error: FastifyError): string {
  const first = error.validation?.[0]
  if (!first) return error.message
  const where = first.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : error.validationContext ?? 'body'
  const extra = first.params && 'additionalProperty' in first.params ? ` ('${String(first.params.additionalProperty)}' was unexpected)` : ''
  return `Invalid input for field/attribute ${where}. ${first.message ?? 'is invalid'}${extra}`
}

/**
 * Gives a service plugin its error envelope: domain errors map by status,
 * schema failures are 400, unknown paths 404, and anything unexpected is a
 * logged 500 that never shows internals.
 */
export function installErrorHandling(app: FastifyInstance, envelope: ErrorEnvelope, notFoundMessage = 'The resource could not be found.'): void {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    let status: number
    let message: string
    if (error instanceof LifeboatError) {
      status = error.status
      message = error.message
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
      if (status >= 500) req.log.error({ err: error }, 'request failed')
    } else if (error.validation) {
      status = 400
      message = validationMessage(error)
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode
      message = error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? `Unsupported Content-Type` : error.code === BODY_TOO_LARGE ? REQUEST_TOO_LARGE : error.message
    } else {
      status = 500
      message = 'An unexpected error prevented the server from fulfilling your request.'
      req.log.error({ err: error, method: req.method, url: req.routeOptions.url ?? req.url }, 'unexpected error')
    }
    void reply.status(status).type('application/json').send(envelope(status, message, req.id))
  })
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).type('application/json').send(envelope(404, notFoundMessage, req.id))
  })
}
