import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { ApiContext } from '../context.js'
import { InvalidRequest } from '../../services/errors.js'
import { isAtLeast, type Microversion } from '../common/microversion.js'
import { strictBoolString } from '../../util/bool-string.js'
import { callOf } from './server-route-helpers.js'

/** Nova's `parameter_types.boolean`: a JSON boolean or one of oslo's boolean strings. */
const NovaBoolean = Type.Union([Type.Boolean(), Type.String()])
const Host = Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])

/** nova/api/openstack/compute/schemas/migrate_server.py `migrate_live` per microversion. */
const MIGRATE_LIVE = {
  v20: Type.Object({ block_migration: NovaBoolean, disk_over_commit: NovaBoolean, host: Host }, { additionalProperties: false }),
  v225: Type.Object({ block_migration: Type.Union([NovaBoolean, Type.Literal('auto')]), host: Host }, { additionalProperties: false }),
  v230: Type.Object({ block_migration: Type.Union([NovaBoolean, Type.Literal('auto')]), host: Host, force: Type.Optional(NovaBoolean) }, { additionalProperties: false }),
}
const CHECKS = { v20: TypeCompiler.Compile(MIGRATE_LIVE.v20), v225: TypeCompiler.Compile(MIGRATE_LIVE.v225), v230: TypeCompiler.Compile(MIGRATE_LIVE.v230) }

/** The dispatcher's loose check; the handler applies the microversion's own schema. */
export const LIVE_MIGRATION_ACTION_SCHEMAS: Record<string, TSchema> = {
  'os-migrateLive': Type.Record(Type.String(), Type.Unknown()),
}

function boolOf(value: unknown): boolean {
  return typeof value === 'boolean' ? value : strictBoolString(String(value).toLowerCase()) === true
}

function schemaFor(microversion: Microversion): keyof typeof CHECKS {
  if (isAtLeast(microversion, '2.68')) return 'v225'
  if (isAtLeast(microversion, '2.30')) return 'v230'
  if (isAtLeast(microversion, '2.25')) return 'v225'
  return 'v20'
}

type Handler = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body: Record<string, unknown> | null) => Promise<unknown>

/** `os-migrateLive` (admin): Nova's 202 with no body. */
export function liveMigrationActionHandlers(ctx: ApiContext): Record<string, Handler> {
  return {
    'os-migrateLive': async (req, reply, body) => {
      const check = CHECKS[schemaFor(req.microversion)]
      if (!check.Check(body)) {
        const error = check.Errors(body).First()
        throw new InvalidRequest(`Invalid input for field/attribute os-migrateLive. Value: ${JSON.stringify(body)}. ${error?.message ?? 'is invalid'}`)
      }
      const raw = body as Record<string, unknown>
      for (const field of ['block_migration', 'disk_over_commit', 'force']) {
        const value = raw[field]
        if (typeof value === 'string' && value !== 'auto' && strictBoolString(value.toLowerCase()) === undefined) {
          throw new InvalidRequest(`Invalid input for field/attribute ${field}. Value: ${value}. '${value}' is not of type 'boolean'`)
        }
      }
      await ctx.services.compute.liveMigrateServer(callOf(req), req.params.id, {
        host: (raw.host as string | null) ?? null,
        blockMigration: raw.block_migration === 'auto' ? 'auto' : boolOf(raw.block_migration),
        force: raw.force === undefined ? false : boolOf(raw.force),
      })
      return reply.status(202).send()
    },
  }
}
