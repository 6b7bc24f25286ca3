import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { isAtLeast } from '../common/microversion.js'
import type { ViewContext } from './views.js'
import { strictBoolString } from '../../util/bool-string.js'
import { firstValue } from '../../util/query-values.js'
import { ApiErrorCode } from '../common/error-codes.js'

/** The first value of a query parameter. */
export function queryParam(req: FastifyRequest, name: string): string | undefined {
  return firstValue((req.query as Record<string, string | string[] | undefined> | undefined)?.[name])
}

/** Every query parameter, first values only. */
export function queryParams(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries((req.query ?? {}) as Record<string, string | string[]>)) out[key] = firstValue(value)!
  return out
}

/** oslo's `bool_from_string(strict=True)`; undefined stays undefined. */
export function strictBool(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  // Cinder's parameter_types.boolean is `{'type': ['boolean', 'string']}`: anything else fails its schema.
  if (typeof value !== 'string') {
    const shown = JSON.stringify(value) ?? String(value)
    throw new InvalidRequest(`Invalid input for field/attribute ${name}. Value: ${shown}. ${shown} is not of type 'boolean', 'string'`)
  }
  const parsed = strictBoolString(value)
  if (parsed !== undefined) return parsed
  throw new InvalidRequest(`Invalid value '${value}' for ${name}: Unrecognized value '${value}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`)
}

/** Cinder's `get_bool_param` on the query: absent is false. */
export function queryBool(req: FastifyRequest, name: string): boolean {
  return strictBool(queryParam(req, name), name) ?? false
}

/** The project a request acts in: the path's, or (3.67+, no project in the path) the token's. */
export function requestProject(req: FastifyRequest): string {
  return (req.params as { project_id?: string }).project_id ?? req.auth.projectId ?? ''
}

/** What the views need from a request. */
export function viewContext(ctx: ApiContext, req: FastifyRequest): ViewContext {
  return {
    admin: req.auth.isAdmin,
    microversion: req.microversion,
    base: `${ctx.publicUrl()}/volume`,
    projectId: requestProject(req),
    backendHost: ctx.services.volumes.backendHost,
  }
}

/** Cinder answers a method below its microversion with 404 (`VersionNotFoundForAPIMethod`). */
export function requireMicroversion(req: FastifyRequest, atLeast: string): void {
  if (!isAtLeast(req.microversion, atLeast)) throw new NotFound(`API version ${req.microversion.major}.${req.microversion.minor} is not supported on this method.`, ApiErrorCode.VERSION_NOT_FOUND_FOR_METHOD)
}
