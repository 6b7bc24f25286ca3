import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'

/** `/placement`: not served yet. */
export function placementPlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    void ctx
    void app
  }
}
