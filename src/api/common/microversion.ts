import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidRequest, NotAcceptable } from '../../services/errors.js'
import { ApiErrorCode } from './error-codes.js'

/** A microversion `major.minor`. */
export interface Microversion {
  major: number
  minor: number
}

/** What one service accepts: its header name, range and legacy header (Nova's). */
export interface MicroversionSpec {
  /** The service type in `OpenStack-API-Version: <service> X.Y`. */
  service: string
  min: string
  max: string
  /** Default when the client sends none (the minimum, as Nova does). */
  defaultVersion?: string
  /** An older header that carries only `X.Y`, e.g. `X-OpenStack-Nova-API-Version`. */
  legacyHeader?: string
}

const VERSION_RE = /^([1-9]\d*)\.(0|[1-9]\d*)$/

/** Parses `X.Y`; throws a 400 when malformed. */
export function parseMicroversion(text: string): Microversion {
  const match = VERSION_RE.exec(text.trim())
  if (!match) throw new InvalidRequest(`Invalid API version request string: ${text}`, ApiErrorCode.INVALID_MICROVERSION)
  return { major: Number(match[1]), minor: Number(match[2]) }
}

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compareMicroversions(a: Microversion, b: Microversion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor
}

export function formatMicroversion(v: Microversion): string {
  return `${v.major}.${v.minor}`
}

// isAtLeast is called with a handful of literals, many times per server in views.
const parsedLiterals = new Map<string, Microversion>()

/** True when `v` is at least `atLeast` (`'2.87'`). */
export function isAtLeast(v: Microversion, atLeast: string): boolean {
  let parsed = parsedLiterals.get(atLeast)
  if (parsed === undefined) {
    parsed = parseMicroversion(atLeast)
    if (parsedLiterals.size < 256) parsedLiterals.set(atLeast, parsed)
  }
  return compareMicroversions(v, parsed) >= 0
}

function headerValue(headers: FastifyRequest['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(',') : value
}

/**
 * Reads the requested microversion from `OpenStack-API-Version: <service> X.Y`
 * (or the legacy header); `latest` means the max; 406 outside [min, max].
 */
export function negotiateMicroversion(headers: FastifyRequest['headers'], spec: MicroversionSpec): Microversion {
  const min = parseMicroversion(spec.min)
  const max = parseMicroversion(spec.max)
  let requested: string | undefined
  const modern = headerValue(headers, 'openstack-api-version')
  if (modern) {
    for (const part of modern.split(',')) {
      const [service, ...rest] = part.trim().split(/\s+/)
      if (service?.toLowerCase() === spec.service) requested = rest.join(' ')
    }
  }
  if (requested === undefined && spec.legacyHeader) requested = headerValue(headers, spec.legacyHeader)
  if (requested === undefined || requested.trim() === '') return parseMicroversion(spec.defaultVersion ?? spec.min)
  if (requested.trim().toLowerCase() === 'latest') return max
  const version = parseMicroversion(requested)
  if (compareMicroversions(version, min) < 0 || compareMicroversions(version, max) > 0) {
    throw new NotAcceptable(
      `Version ${formatMicroversion(version)} is not supported by the API. Minimum is ${spec.min} and maximum is ${spec.max}.`,
      ApiErrorCode.MICROVERSION_OUT_OF_RANGE,
    )
  }
  return version
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated microversion of the service this route belongs to. */
    microversion: Microversion
  }
}

/**
 * Installs microversion negotiation on a service plugin: every request gets
 * `req.microversion`; every response carries the version headers and `Vary`.
 */
export function installMicroversions(app: FastifyInstance, spec: MicroversionSpec): void {
  const headerNames = ['OpenStack-API-Version', ...(spec.legacyHeader ? [spec.legacyHeader] : [])]
  app.addHook('onRequest', async (req) => {
    req.microversion = parseMicroversion(spec.defaultVersion ?? spec.min)
    req.microversion = negotiateMicroversion(req.headers, spec)
  })
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply) => {
    const version = formatMicroversion(req.microversion ?? parseMicroversion(spec.defaultVersion ?? spec.min))
    reply.header('OpenStack-API-Version', `${spec.service} ${version}`)
    if (spec.legacyHeader) reply.header(spec.legacyHeader, version)
    reply.header('Vary', headerNames.join(', '))
  })
}
