import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { ApiContext } from '../context.js'
import { InvalidRequest } from '../../services/errors.js'
import { isAtLeast } from '../common/microversion.js'
import { callOf } from './server-route-helpers.js'

/** Nova's `parameter_types.name`: 1 to 255 characters, no leading or trailing whitespace. */
const Name = Type.String({ minLength: 1, maxLength: 255, pattern: '^(?!\\s)[\\s\\S]*(?<!\\s)$' })

/** Nova's `parameter_types.non_negative_integer`: an integer ≥ 0, or a string of digits. */
const NonNegativeInteger = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]+$' })])

/**
 * Nova's schemas (schemas/shelve.py, create_backup.py). `unshelve` has no
 * body schema before 2.77 (any body is accepted and ignored): its 2.77 one
 * is checked by the handler.
 */
export const SHELVE_ACTION_SCHEMAS: Record<string, TSchema> = {
  shelve: Type.Null(),
  shelveOffload: Type.Null(),
  unshelve: Type.Unknown(),
  createBackup: Type.Object({
    name: Name,
    backup_type: Type.String(),
    rotation: NonNegativeInteger,
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }, { additionalProperties: false }),
}

/** `unshelve` from 2.77 (to 2.90): null, or an availability zone (required: `{}` is refused). */
const UNSHELVE_V277 = TypeCompiler.Compile(Type.Union([Type.Null(), Type.Object({ availability_zone: Name }, { additionalProperties: false })]))
const AZ_SINCE = '2.77'
/** createBackup answers `{"image_id"}` and no Location header from 2.45. */
const IMAGE_ID_BODY_SINCE = '2.45'

type ShelveActionHandler = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body: Record<string, unknown> | null) => Promise<unknown>

/** `shelve`, `shelveOffload`, `unshelve` and `createBackup`, each Nova's 202. */
export function shelveActionHandlers(ctx: ApiContext): Record<string, ShelveActionHandler> {
  const compute = () => ctx.services.compute
  const accepted = (reply: FastifyReply) => reply.status(202).send()
  return {
    shelve: async (req, reply) => accepted((await compute().shelveServer(callOf(req), req.params.id), reply)),
    shelveOffload: async (req, reply) => accepted((await compute().shelveOffloadServer(callOf(req), req.params.id), reply)),
    unshelve: async (req, reply, body) => {
      let availabilityZone: string | undefined
      if (isAtLeast(req.microversion, AZ_SINCE)) {
        if (!UNSHELVE_V277.Check(body)) {
          const error = UNSHELVE_V277.Errors(body).First()
          throw new InvalidRequest(`Invalid input for field/attribute unshelve. Value: ${JSON.stringify(body)}. ${error?.message ?? 'is invalid'}`)
        }
        availabilityZone = (body?.availability_zone as string | undefined) ?? undefined
      }
      return accepted((await compute().unshelveServer(callOf(req), req.params.id, { availabilityZone }), reply))
    },
    createBackup: async (req, reply, body) => {
      const rotation = Number(body!.rotation)
      const metadata = Object.fromEntries(Object.entries((body!.metadata as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
      const imageId = await compute().createBackup(callOf(req), req.params.id, { name: body!.name as string, backupType: body!.backup_type as string, rotation, metadata })
      if (isAtLeast(req.microversion, IMAGE_ID_BODY_SINCE)) return reply.status(202).send({ image_id: imageId })
      // Nova: the Location only when the backup is kept (rotation above 0).
      if (rotation > 0) reply.header('Location', `${ctx.publicUrl()}/compute/v2.1/images/${imageId}`)
      return accepted(reply)
    },
  }
}
