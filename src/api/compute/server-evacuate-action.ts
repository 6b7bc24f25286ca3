import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { InvalidRequest } from '../../services/errors.js'
import { isAtLeast } from '../common/microversion.js'
import { callOf } from './server-route-helpers.js'

/** Nova's `parameter_types.boolean` as evacuate's `onSharedStorage` takes it (a boolean or its spellings). */
const BOOLEAN_SPELLINGS = ['True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']
const BooleanParam = Type.Union([Type.Boolean(), ...BOOLEAN_SPELLINGS.map((s) => Type.Literal(s))])

/**
 * Nova's schemas/evacuate.py, all microversions in one object; what each
 * microversion allows is checked in the handler (2.14 drops `onSharedStorage`,
 * 2.29 adds `force`, 2.68 drops it again).
 */
export const EVACUATE_ACTION_SCHEMAS: Record<string, TSchema> = {
  evacuate: Type.Object({
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' })),
    onSharedStorage: Type.Optional(BooleanParam),
    adminPass: Type.Optional(Type.String()),
    force: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
}

type Handler = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body: Record<string, unknown> | null) => Promise<unknown>

function unexpected(name: string): InvalidRequest {
  return new InvalidRequest(`Invalid input for field/attribute evacuate. Additional properties are not allowed ('${name}' was unexpected)`)
}

/** Python's `strutils.bool_from_string` for the spellings the schema lets through. */
function truthy(value: unknown): boolean {
  return value === true || (typeof value === 'string' && ['true', 'yes', 'on', '1'].includes(value.toLowerCase()))
}

/**
 * `evacuate` (nova/api/openstack/compute/evacuate.py): 200 with `adminPass`
 * before 2.14 (when instance passwords are on), an empty 200 from 2.14.
 * `onSharedStorage` true is accepted as Nova's API accepts it, but Lifeboat's
 * hosts share no storage: the server is always rebuilt from its image.
 */
export function evacuateActionHandlers(ctx: ApiContext): Record<string, Handler> {
  return {
    evacuate: async (req, reply, body) => {
      const mv = req.microversion
      const evacuate = body ?? {}
      if (isAtLeast(mv, '2.14')) {
        if (evacuate.onSharedStorage !== undefined) throw unexpected('onSharedStorage')
      } else if (evacuate.onSharedStorage === undefined) {
        throw new InvalidRequest("Invalid input for field/attribute evacuate. 'onSharedStorage' is a required property")
      }
      if (evacuate.force !== undefined && (!isAtLeast(mv, '2.29') || isAtLeast(mv, '2.68'))) throw unexpected('force')
      const sharedStorage = !isAtLeast(mv, '2.14') && truthy(evacuate.onSharedStorage)
      if (sharedStorage && evacuate.adminPass !== undefined) throw new InvalidRequest("admin password can't be changed on existing disk")
      const adminPass = await ctx.services.compute.evacuateServer(callOf(req), req.params.id, {
        ...(evacuate.host !== undefined ? { host: evacuate.host as string } : {}),
        ...(evacuate.adminPass !== undefined ? { adminPass: evacuate.adminPass as string } : {}),
      })
      if (!isAtLeast(mv, '2.14') && ctx.config.compute.enableInstancePassword) return reply.status(200).send({ adminPass })
      return reply.status(200).send()
    },
  }
}
