import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { callOf } from './server-route-helpers.js'

/**
 * Nova's schemas/servers.py `resize` (the same body at every microversion:
 * `flavorRef` as a string or an integer, `OS-DCF:diskConfig` AUTO or MANUAL),
 * `confirm_resize` and `revert_resize` (any value).
 */
export const RESIZE_ACTION_SCHEMAS: Record<string, TSchema> = {
  resize: Type.Object({
    flavorRef: Type.Union([Type.String({ minLength: 1 }), Type.Integer()]),
    'OS-DCF:diskConfig': Type.Optional(Type.Union([Type.Literal('AUTO'), Type.Literal('MANUAL')])),
  }, { additionalProperties: false }),
  confirmResize: Type.Unknown(),
  revertResize: Type.Unknown(),
}

type ResizeActionHandler = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body: Record<string, unknown> | null) => Promise<unknown>

/** `resize` and `revertResize` answer 202; `confirmResize` 204, as Nova still does (backwards compatibility). */
export function resizeActionHandlers(ctx: ApiContext): Record<string, ResizeActionHandler> {
  const compute = () => ctx.services.compute
  return {
    resize: async (req, reply, body) => {
      await compute().resizeServer(callOf(req), req.params.id, String(body!.flavorRef))
      return reply.status(202).send()
    },
    confirmResize: async (req, reply) => {
      await compute().confirmResize(callOf(req), req.params.id)
      return reply.status(204).send()
    },
    revertResize: async (req, reply) => {
      await compute().revertResize(callOf(req), req.params.id)
      return reply.status(202).send()
    },
  }
}
