import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'

/** `/compute`: not served yet. */
export function computePlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    void ctx
    void app
  }
}
