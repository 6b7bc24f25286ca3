import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'

/** `/volume`: not served yet. */
export function volumePlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    void ctx
    void app
  }
}
