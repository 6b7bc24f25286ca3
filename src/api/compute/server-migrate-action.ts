import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { ApiContext } from '../context.js'
import { InvalidRequest } from '../../services/errors.js'
import { isAtLeast } from '../common/microversion.js'
import { callOf } from './server-route-helpers.js'

/** nova/api/openstack/compute/schemas/migrate_server.py `migrate_v2_56`: null, or an object with an optional `host` (parameter_types.fqdn). */
const MIGRATE_V256 = Type.Union([
  Type.Null(),
  Type.Object({ host: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' })) }, { additionalProperties: false }),
])
const CHECK_V256 = TypeCompiler.Compile(MIGRATE_V256)

/** The dispatcher's loose check (before 2.56 Nova reads no body at all); the handler applies 2.56's schema. */
export const MIGRATE_ACTION_SCHEMAS: Record<string, TSchema> = {
  migrate: Type.Unknown(),
}

type Handler = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body: Record<string, unknown> | null) => Promise<unknown>

/** `migrate` (admin, Nova's `_migrate`): 202 with no body; `host` is read from 2.56. */
export function migrateActionHandlers(ctx: ApiContext): Record<string, Handler> {
  return {
    migrate: async (req, reply, body) => {
      let host: string | null = null
      if (isAtLeast(req.microversion, '2.56')) {
        if (!CHECK_V256.Check(body)) {
          const error = CHECK_V256.Errors(body).First()
          throw new InvalidRequest(`Invalid input for field/attribute migrate. Value: ${JSON.stringify(body)}. ${error?.message ?? 'is invalid'}`)
        }
        host = (body?.host as string | undefined) ?? null
      }
      await ctx.services.compute.coldMigrateServer(callOf(req), req.params.id, host)
      return reply.status(202).send()
    },
  }
}
