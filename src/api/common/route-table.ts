import type { FastifyInstance, RouteOptions } from 'fastify'

/** One registered route as the response-schema rule looks at it. */
export interface RouteEntry {
  readonly method: string
  readonly url: string
  /** The status codes (or `2xx`-style ranges) that have a response schema. */
  readonly responseStatuses: readonly string[]
  /** The route answers only errors (`config: { errorsOnly: true }`, e.g. Placement's 405s). */
  readonly errorsOnly: boolean
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>()

/**
 * Records every route registered on `app` and its plugins from now on (call
 * it before they register), so that a test can check that each route's JSON
 * answers go through a response schema (test/functional/route-schemas.test.ts).
 */
export function recordRoutes(app: FastifyInstance): void {
  const entries: RouteEntry[] = []
  tables.set(app, entries)
  app.addHook('onRoute', (route: RouteOptions) => {
    const response = (route.schema as { response?: Record<string, unknown> } | undefined)?.response ?? {}
    const errorsOnly = (route.config as { errorsOnly?: unknown } | undefined)?.errorsOnly === true
    for (const method of [route.method].flat()) entries.push({ method, url: route.url, responseStatuses: Object.keys(response), errorsOnly })
  })
}

/** The routes recorded on `app` (empty when `recordRoutes` was not called on it). */
export function routesOf(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? []
}
