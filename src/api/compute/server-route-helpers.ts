import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import type { ServerViewOptions } from './views/server-view.js'
import { isAtLeast } from '../common/microversion.js'
import type { CallContext } from '../../services/compute/call-context.js'

/** The caller of a compute route, for the services. */
export function callOf(req: FastifyRequest): CallContext {
  return { auth: req.auth, requestId: req.id }
}

/** The compute API's base URL (`http://h/compute`). */
export function computeBase(ctx: ApiContext): string {
  return `${ctx.publicUrl()}/compute`
}

/** View options for a request; `extended` per route, and `serverGroups`: the server whose groups to show (2.71+), or false. */
export async function viewOptions(ctx: ApiContext, req: FastifyRequest, extended: boolean, serverGroupsOf: false | { uuid: string }): Promise<ServerViewOptions> {
  const serverGroups = serverGroupsOf && isAtLeast(req.microversion, '2.71') ? await ctx.services.serverGroups.groupsOfServer(serverGroupsOf.uuid) : false
  // host_status (2.16) is for admins only; the hosts are read once per request.
  const hostStatus = req.auth.isAdmin && isAtLeast(req.microversion, '2.16') ? await ctx.services.computeHosts.hostStatus() : undefined
  return { base: computeBase(ctx), microversion: req.microversion, isAdmin: req.auth.isAdmin, extended, serverGroups, hostStatus }
}
