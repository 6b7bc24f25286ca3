import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'

/** Compute routes: hypervisors (not served yet). */
export function hypervisorsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    void ctx
    void app
  }
}
