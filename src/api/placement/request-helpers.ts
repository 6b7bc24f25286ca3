import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TSchema, Static } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { InvalidRequest, MethodNotAllowed, NotFound, UnsupportedMediaType } from '../../services/errors.js'
import { isAtLeast } from '../common/microversion.js'
import { allValues, lastValue } from '../../util/query-values.js'

/** True when the request's placement microversion is at least `version`. */
export function atLeast(req: FastifyRequest, version: string): boolean {
  return isAtLeast(req.microversion, version)
}

/** microversion.version_handler: below `version` the route does not exist (404, or the given status). */
export function requireVersion(req: FastifyRequest, version: string, status: 404 | 405 = 404): void {
  if (atLeast(req, version)) return
  if (status === 405) throw new MethodNotAllowed('')
  throw new NotFound('')
}

/** util.require_content: a body route takes only application/json (415 otherwise). */
export function requireJson(req: FastifyRequest): void {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') {
    throw new UnsupportedMediaType(`The media type ${type || 'None'} is not supported, use application/json`)
  }
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>()

/**
 * util.extract_json: checks the body against a TypeBox schema chosen by
 * microversion (so not at route level, and without type coercion, as
 * Placement's jsonschema does not coerce).
 */
export function parseBody<S extends TSchema>(req: FastifyRequest, schema: S): Static<S> {
  requireJson(req)
  const body = req.body
  if (body === undefined) throw new InvalidRequest('Malformed JSON: Expecting value: line 1 column 1 (char 0)')
  let check = compiled.get(schema)
  if (!check) {
    check = TypeCompiler.Compile(schema)
    compiled.set(schema, check)
  }
  if (!check.Check(body)) {
    const first = check.Errors(body).First()
    const where = first?.path ? ` at ${first.path}` : ''
    throw new InvalidRequest(`JSON does not validate: ${first?.message ?? 'invalid'}${where}`)
  }
  return body as Static<S>
}

type Query = Record<string, string | string[] | undefined>

/** Every value of a repeated query parameter, in order. */
export function queryAll(req: FastifyRequest, key: string): string[] {
  return allValues((req.query as Query)[key])
}

/** webob's `req.GET[key]`: the last value. */
export function queryLast(req: FastifyRequest, key: string): string | undefined {
  return lastValue((req.query as Query)[key])
}

/**
 * util.validate_query_params: unknown keys are 400. `allowed` lists plain
 * names; `patterns` match suffixed keys (`resources1`).
 */
export function checkQueryKeys(req: FastifyRequest, allowed: string[], patterns: RegExp[] = []): void {
  for (const key of Object.keys(req.query as Query)) {
    if (!allowed.includes(key) && !patterns.some((p) => p.test(key))) {
      throw new InvalidRequest(`Invalid query string parameters: Additional properties are not allowed ('${key}' was unexpected)`)
    }
  }
}

/** Answers 405 with `Allow` for the methods a path does not serve (handler.py handle_405). */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: string[]): void {
  const others = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'].filter((m) => !allowed.includes(m))
  app.route({
    method: others, url,
    // Answers only errors (src/api/common/route-table.ts): no response schema needed.
    config: { errorsOnly: true },
    handler: async () => {
      throw new MethodNotAllowed(undefined, { headers: { allow: allowed.join(', ') } })
    },
  })
}
