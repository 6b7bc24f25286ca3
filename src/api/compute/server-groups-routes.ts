import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { isAtLeast } from '../common/microversion.js'
import { MAX_LIMIT } from './views/resource-links.js'
import { rejectUnknownQuery } from './query-checks.js'
import { serverGroupView } from './views/server-group-view.js'
import {
  groupListWindow, ServerGroupListResponse, ServerGroupParams, ServerGroupQuery, ServerGroupResponse, serverGroupToCreate,
} from './schemas/server-groups.js'

/** Compute routes: `os-server-groups` (create, list, show, delete; nova/api/openstack/compute/server_groups.py). */
export function serverGroupsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const groups = () => ctx.services.serverGroups
  return async (app) => {
    // The body is checked by hand (serverGroupToCreate) so refusals carry Nova's words.
    app.post('/os-server-groups', { schema: { body: Type.Unknown(), response: ServerGroupResponse } }, async (req) => {
      const group = await groups().create(req.auth, serverGroupToCreate(req.body, req.microversion))
      return { server_group: serverGroupView(group, req.microversion) }
    })
    app.get('/os-server-groups', { schema: { querystring: ServerGroupQuery, response: ServerGroupListResponse } }, async (req) => {
      if (isAtLeast(req.microversion, '2.75')) rejectUnknownQuery(req.query, ['all_projects', 'limit', 'offset'])
      const { offset, limit } = groupListWindow(req.query, MAX_LIMIT)
      // Nova looks only at the presence of `all_projects`, whatever its value.
      const list = await groups().list(req.auth, { allProjects: req.query.all_projects !== undefined, offset, limit })
      return { server_groups: list.map((g) => serverGroupView(g, req.microversion)) }
    })
    app.get('/os-server-groups/:id', { schema: { params: ServerGroupParams, querystring: ServerGroupQuery, response: ServerGroupResponse } }, async (req) => {
      return { server_group: serverGroupView(await groups().show(req.auth, req.params.id), req.microversion) }
    })
    app.delete('/os-server-groups/:id', { schema: { params: ServerGroupParams, querystring: ServerGroupQuery } }, async (req, reply) => {
      await groups().delete(req.auth, req.params.id)
      reply.status(204).send()
    })
  }
}
