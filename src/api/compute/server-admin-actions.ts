import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { NotFound } from '../../services/errors.js'
import { isAtLeast } from '../common/microversion.js'
import { callOf } from './server-route-helpers.js'

/** Nova's schemas: reset_server_state.py, servers.py (`change_password`, `trigger_crash_dump`), deferred_delete (no body). */
export const ADMIN_ACTION_SCHEMAS: Record<string, TSchema> = {
  'os-resetState': Type.Object({ state: Type.Union([Type.Literal('active'), Type.Literal('error')]) }, { additionalProperties: false }),
  changePassword: Type.Object({ adminPass: Type.String() }, { additionalProperties: false }),
  trigger_crash_dump: Type.Null(),
  restore: Type.Null(),
  forceDelete: Type.Null(),
}

/** trigger_crash_dump exists from 2.17; below, Nova's 404 for a method outside its versions. */
const CRASH_DUMP_MIN = '2.17'

type AdminActionHandler = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body: Record<string, unknown> | null) => Promise<unknown>

/** The admin and recovery actions; each answers Nova's empty 202. */
export function adminActionHandlers(ctx: ApiContext): Record<string, AdminActionHandler> {
  const compute = () => ctx.services.compute
  const accepted = (reply: FastifyReply) => reply.status(202).send()
  return {
    'os-resetState': async (req, reply, body) => accepted((await compute().resetServerState(callOf(req), req.params.id, body!.state as 'active' | 'error'), reply)),
    // The password is not passed on: no driver can set it (see changeServerPassword).
    changePassword: async (req, reply) => accepted((await compute().changeServerPassword(callOf(req), req.params.id), reply)),
    trigger_crash_dump: async (req, reply) => {
      if (!isAtLeast(req.microversion, CRASH_DUMP_MIN)) throw new NotFound('The resource could not be found.')
      return accepted((await compute().triggerCrashDump(callOf(req), req.params.id), reply))
    },
    restore: async (req, reply) => accepted((await compute().restoreServer(callOf(req), req.params.id), reply)),
    forceDelete: async (req, reply) => accepted((await compute().forceDeleteServer(callOf(req), req.params.id), reply)),
  }
}
