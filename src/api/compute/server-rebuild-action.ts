import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { callOf, viewOptions } from './server-route-helpers.js'
import { isAtLeast } from '../common/microversion.js'
import { InvalidRequest } from '../../services/errors.js'
import { isUuidLike } from '../../util/uuid.js'
import { serverView } from './views/server-view.js'
import { REBUILD_KEYS_SINCE } from './schemas/rebuild.js'

const unexpected = (key: string) => new InvalidRequest(`Invalid input for field/attribute rebuild. Additional properties are not allowed ('${key}' was unexpected)`)

/**
 * `rebuild` (Nova's `_action_rebuild`): the body's keys as the microversion
 * allows them, then the service; answers 202 with the server (the reduced
 * view before 2.75, like update) and `adminPass` unless passwords are off.
 */
export function rebuildActionHandler(ctx: ApiContext) {
  return async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body: Record<string, unknown> | null): Promise<unknown> => {
    const rebuild = body ?? {}
    for (const [key, since] of Object.entries(REBUILD_KEYS_SINCE)) if (rebuild[key] !== undefined && !isAtLeast(req.microversion, since)) throw unexpected(key)
    if (rebuild.personality !== undefined && isAtLeast(req.microversion, '2.57')) throw unexpected('personality')
    const rawRef = String(rebuild.imageRef)
    const imageRef = rawRef.slice(rawRef.lastIndexOf('/') + 1)
    if (!isUuidLike(imageRef)) throw new InvalidRequest('Invalid imageRef provided.')
    const compute = ctx.services.compute
    const certs = rebuild.trusted_image_certificates as string[] | null | undefined
    const { adminPass } = await compute.rebuildServer(callOf(req), req.params.id, {
      imageRef,
      name: rebuild.name as string | undefined,
      adminPass: rebuild.adminPass as string | undefined,
      metadata: rebuild.metadata as Record<string, string> | undefined,
      accessIPv4: rebuild.accessIPv4 as string | null | undefined,
      accessIPv6: rebuild.accessIPv6 as string | null | undefined,
      description: rebuild.description as string | null | undefined,
      keyName: rebuild.key_name as string | null | undefined,
      userData: rebuild.user_data as string | null | undefined,
      hostname: rebuild.hostname as string | undefined,
      trustedCerts: certs ?? null,
      preserveEphemeral: rebuild.preserve_ephemeral === true,
    })
    const details = await compute.showServer(callOf(req), req.params.id)
    const view = serverView(details, await viewOptions(ctx, req, isAtLeast(req.microversion, '2.75'), details.row))
    reply.status(202)
    return { server: { ...view, ...(ctx.config.compute.enableInstancePassword ? { adminPass } : {}) } }
  }
}
