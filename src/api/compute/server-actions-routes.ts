import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { ApiContext } from '../context.js'
import { ServerIdParams } from './schemas/servers.js'
import { callOf } from './server-route-helpers.js'
import { formatMicroversion, isAtLeast } from '../common/microversion.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { isUuidLike } from '../../util/uuid.js'
import { ServerActionResponse } from './schemas/server-subresource-responses.js'
import { CONSOLE_ACTION_SCHEMAS } from './schemas/remote-consoles.js'
import { CONSOLE_ACTIONS_REMOVED_AT, consoleActionHandlers } from './server-console-actions.js'
import { ADMIN_ACTION_SCHEMAS, adminActionHandlers } from './server-admin-actions.js'
import { RebuildBody } from './schemas/rebuild.js'
import { rebuildActionHandler } from './server-rebuild-action.js'
import { RESIZE_ACTION_SCHEMAS, resizeActionHandlers } from './server-resize-actions.js'
import { EVACUATE_ACTION_SCHEMAS, evacuateActionHandlers } from './server-evacuate-action.js'
import { SHELVE_ACTION_SCHEMAS, shelveActionHandlers } from './server-shelve-actions.js'
import { RescueRunBody, runOptionsOf } from './schemas/rescue-run.js'
import { LIVE_MIGRATION_ACTION_SCHEMAS, liveMigrationActionHandlers } from './server-live-migration.js'
import { MIGRATE_ACTION_SCHEMAS, migrateActionHandlers } from './server-migrate-action.js'

const Null = Type.Null()
const NoBody = Type.Union([Type.Null(), Type.Object({}, { additionalProperties: false })])

/** Nova's action schemas (schemas/*.py); Lifeboat's own keys carry the `lifeboat:` prefix. */
/** Nova's `ip_address` parameter type (an IPv4 or IPv6 address). */
const IpAddress = Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9a-fA-F:.]+$' })

const ACTION_SCHEMAS: Record<string, TSchema> = {
  'os-start': NoBody,
  'os-stop': NoBody,
  pause: NoBody,
  unpause: NoBody,
  suspend: NoBody,
  resume: NoBody,
  unlock: NoBody,
  reboot: Type.Object({ type: Type.String({ pattern: '^([Hh][Aa][Rr][Dd]|[Ss][Oo][Ff][Tt])$' }) }, { additionalProperties: false }),
  lock: Type.Union([Null, Type.Object({ locked_reason: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }, { additionalProperties: false })]),
  rescue: Type.Union([Null, Type.Object({
    adminPass: Type.Optional(Type.String()),
    rescue_image_ref: Type.Optional(Type.String()),
    'lifeboat:key_name': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    'lifeboat:timeout': Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 24 * 3600 })),
    'lifeboat:run': Type.Optional(RescueRunBody),
  }, { additionalProperties: false })]),
  unrescue: Type.Union([Null, Type.Object({ 'lifeboat:discard': Type.Optional(Type.Boolean()) }, { additionalProperties: false })]),
  createImage: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 255 }),
    metadata: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }))),
  }, { additionalProperties: false }),
  'os-getConsoleOutput': Type.Union([Null, Type.Object({ length: Type.Optional(Type.Union([Type.Integer({ minimum: -1 }), Type.String({ pattern: '^-?[0-9]+$' }), Type.Null()])) }, { additionalProperties: false })]),
  addSecurityGroup: Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  removeSecurityGroup: Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  addFloatingIp: Type.Object({ address: IpAddress, fixed_address: Type.Optional(IpAddress) }, { additionalProperties: false }),
  removeFloatingIp: Type.Object({ address: IpAddress }, { additionalProperties: false }),
  rebuild: RebuildBody,
  ...CONSOLE_ACTION_SCHEMAS,
  ...ADMIN_ACTION_SCHEMAS,
  ...RESIZE_ACTION_SCHEMAS,
  ...SHELVE_ACTION_SCHEMAS,
  ...EVACUATE_ACTION_SCHEMAS,
  ...LIVE_MIGRATION_ACTION_SCHEMAS,
  ...MIGRATE_ACTION_SCHEMAS,
}

// Maps, not objects: an action named `__proto__` or `constructor` must find nothing.
const CHECKERS = new Map(Object.entries(ACTION_SCHEMAS).map(([name, schema]) => [name, TypeCompiler.Compile(schema)]))

type Handler = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body: Record<string, unknown> | null) => Promise<unknown>

/** `POST /servers/{id}/action`: one handler per action, each body checked by its schema. */
export function serverActionRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const compute = () => ctx.services.compute
  const accepted = (reply: FastifyReply) => reply.status(202).send()

  const handlerTable: Record<string, Handler> = {
    'os-start': async (req, reply) => accepted((await compute().powerAction(callOf(req), req.params.id, 'start'), reply)),
    'os-stop': async (req, reply) => accepted((await compute().powerAction(callOf(req), req.params.id, 'stop'), reply)),
    pause: async (req, reply) => accepted((await compute().powerAction(callOf(req), req.params.id, 'pause'), reply)),
    unpause: async (req, reply) => accepted((await compute().powerAction(callOf(req), req.params.id, 'unpause'), reply)),
    suspend: async (req, reply) => accepted((await compute().powerAction(callOf(req), req.params.id, 'suspend'), reply)),
    resume: async (req, reply) => accepted((await compute().powerAction(callOf(req), req.params.id, 'resume'), reply)),
    reboot: async (req, reply, body) => accepted((await compute().rebootServer(callOf(req), req.params.id, String(body!.type).toUpperCase() as 'SOFT' | 'HARD'), reply)),
    lock: async (req, reply, body) => {
      if (body?.locked_reason !== undefined && !isAtLeast(req.microversion, '2.73')) throw new InvalidRequest("Invalid input for field/attribute lock. Additional properties are not allowed ('locked_reason' was unexpected)")
      await compute().lockServer(callOf(req), req.params.id, (body?.locked_reason as string | undefined) ?? null)
      return accepted(reply)
    },
    unlock: async (req, reply) => accepted((await compute().unlockServer(callOf(req), req.params.id), reply)),
    // Nova answers rescue with 200, not 202 (api/openstack/compute/rescue.py); clients rely on it.
    rescue: async (req, reply, body) => {
      const { adminPass } = await compute().rescueServer(callOf(req), req.params.id, {
        adminPass: body?.adminPass as string | undefined,
        rescueImageRef: body?.rescue_image_ref as string | undefined,
        allowBfvRescue: isAtLeast(req.microversion, '2.87'),
        microversion: formatMicroversion(req.microversion),
        keyName: body?.['lifeboat:key_name'] as string | undefined,
        timeoutSeconds: body?.['lifeboat:timeout'] as number | undefined,
        ...(body?.['lifeboat:run'] ? { run: runOptionsOf(body['lifeboat:run'] as RescueRunBody) } : {}),
      })
      reply.status(200)
      return ctx.config.compute.enableInstancePassword ? { adminPass } : {}
    },
    unrescue: async (req, reply, body) => accepted((await compute().unrescueServer(callOf(req), req.params.id, body?.['lifeboat:discard'] === true), reply)),
    createImage: async (req, reply, body) => {
      const imageId = await compute().createImage(callOf(req), req.params.id, { name: body!.name as string, metadata: (body!.metadata as Record<string, string>) ?? {} })
      if (isAtLeast(req.microversion, '2.45')) return reply.status(202).send({ image_id: imageId })
      return reply.status(202).header('Location', `${ctx.publicUrl()}/image/v2/images/${imageId}`).send()
    },
    'os-getConsoleOutput': async (req, reply, body) => {
      const raw = body?.length
      const length = raw === undefined || raw === null ? null : Number(raw)
      const output = await compute().consoleOutput(callOf(req), req.params.id, length === null || length < 0 ? null : length)
      reply.status(200)
      return { output }
    },
    addSecurityGroup: async (req, reply, body) => accepted((await compute().changeSecurityGroup(callOf(req), req.params.id, body!.name as string, true), reply)),
    removeSecurityGroup: async (req, reply, body) => accepted((await compute().changeSecurityGroup(callOf(req), req.params.id, body!.name as string, false), reply)),
    // Nova's floating-IP actions end at 2.43.
    addFloatingIp: async (req, reply, body) => {
      if (isAtLeast(req.microversion, '2.44')) throw new NotFound('The resource could not be found.')
      const server = await compute().showServer(callOf(req), req.params.id)
      await ctx.services.novaFloatingIps.associate(req.auth, server.row.uuid, body!.address as string, body!.fixed_address as string | undefined)
      return accepted(reply)
    },
    removeFloatingIp: async (req, reply, body) => {
      if (isAtLeast(req.microversion, '2.44')) throw new NotFound('The resource could not be found.')
      const server = await compute().showServer(callOf(req), req.params.id)
      await ctx.services.novaFloatingIps.disassociate(req.auth, server.row.uuid, body!.address as string)
      return accepted(reply)
    },
    rebuild: rebuildActionHandler(ctx),
    ...consoleActionHandlers(ctx),
    ...adminActionHandlers(ctx),
    ...resizeActionHandlers(ctx),
    ...shelveActionHandlers(ctx),
    ...evacuateActionHandlers(ctx),
    ...liveMigrationActionHandlers(ctx),
    ...migrateActionHandlers(ctx),
  }
  const handlers = new Map(Object.entries(handlerTable))

  return async (app) => {
    app.post('/servers/:id/action', { schema: { params: ServerIdParams, response: ServerActionResponse } }, async (req, reply) => {
      const raw = req.body
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidRequest('Malformed request body')
      const names = Object.keys(raw)
      const name = names.find((n) => handlers.has(n) && CHECKERS.has(n))
      if (!name) throw new InvalidRequest(`There is no such action: ${names[0] ?? ''}`)
      if (names.length > 1) throw new InvalidRequest('Malformed request body: one action at a time')
      // Nova checks an action's versions before its body: the console actions are gone from 2.6.
      if (Object.hasOwn(CONSOLE_ACTION_SCHEMAS, name) && isAtLeast(req.microversion, CONSOLE_ACTIONS_REMOVED_AT)) throw new NotFound('The resource could not be found.')
      const body = (raw as Record<string, unknown>)[name]
      const checker = CHECKERS.get(name)!
      // Tempest sends `{}` where novaclient sends `null`; both mean "no options".
      const normalized = body === undefined ? null : body
      if (!checker.Check(normalized) && !(normalized !== null && typeof normalized === 'object' && Object.keys(normalized).length === 0 && checker.Check(null))) {
        const error = checker.Errors(normalized).First()
        throw new InvalidRequest(`Invalid input for field/attribute ${name}. Value: ${JSON.stringify(normalized)}. ${error?.message ?? 'is invalid'}`)
      }
      if (name === 'rescue' && normalized && typeof (normalized as Record<string, unknown>).rescue_image_ref === 'string' && !isUuidLike((normalized as Record<string, string>).rescue_image_ref!)) {
        throw new InvalidRequest(`Invalid input for field/attribute rescue_image_ref. Value: ${(normalized as Record<string, string>).rescue_image_ref}. is not a 'uuid'`)
      }
      // Each handler sends its empty 202 itself or returns the body the response schema writes.
      return handlers.get(name)!(req as FastifyRequest<{ Params: { id: string } }>, reply, normalized as Record<string, unknown> | null) as Promise<void>
    })
  }
}
