import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'

/** `/image`: not served yet. */
export function imagePlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    void ctx
    void app
  }
}
