import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { isAtLeast } from '../common/microversion.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { SecurityGroupBody, SecurityGroupIdParams, SecurityGroupListResponse, SecurityGroupQuery, SecurityGroupResponse, SecurityGroupRuleBody, SecurityGroupRuleResponse } from './schemas/security-groups.js'
import { securityGroupRuleView, securityGroupView } from './views/security-group-view.js'
import { firstValue, type QueryValue } from './paging.js'
import { MAX_LIMIT } from './views/resource-links.js'
import { strictBoolString } from '../../util/bool-string.js'

/** The proxy APIs end at 2.35 (MAX_PROXY_API_SUPPORT_VERSION); later versions are a plain 404, as Nova. */
function assertProxyVersion(req: FastifyRequest): void {
  if (isAtLeast(req.microversion, '2.36')) throw new NotFound('The resource could not be found.')
}

function nonNegative(query: Record<string, QueryValue>, name: string): number | undefined {
  const value = firstValue(query[name])
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new InvalidRequest(`Invalid input for query parameters ${name}. Value: ${value}. '${value}' does not match '^[0-9]*$'`)
  return Number(value)
}

/** Compute routes: Nova's own security groups and rules (`os-security-groups`, `os-security-group-rules`), up to 2.35. */
export function securityGroupsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const groups = ctx.services.securityGroups

  return async (app) => {
    app.get('/os-security-groups', { schema: { querystring: SecurityGroupQuery, response: SecurityGroupListResponse } }, async (req) => {
      assertProxyVersion(req)
      const allTenants = firstValue(req.query.all_tenants)
      const list = await groups.listGroups(req.auth, {
        allTenants: allTenants !== undefined && strictBoolString(allTenants) !== false,
        // Nova's common.limited: at most max_limit, whatever the limit asked.
        limit: Math.min(MAX_LIMIT, nonNegative(req.query, 'limit') || MAX_LIMIT),
        offset: nonNegative(req.query, 'offset'),
      })
      return { security_groups: list.map(securityGroupView) }
    })
    app.get('/os-security-groups/:id', { schema: { params: SecurityGroupIdParams, response: SecurityGroupResponse } }, async (req) => {
      assertProxyVersion(req)
      return { security_group: securityGroupView(await groups.getGroup(req.auth, req.params.id)) }
    })
    // Nova answers 200 to a create here, not 201.
    app.post('/os-security-groups', { schema: { body: SecurityGroupBody, response: SecurityGroupResponse } }, async (req) => {
      assertProxyVersion(req)
      const g = req.body.security_group
      return { security_group: securityGroupView(await groups.createGroup(req.auth, g.name, g.description)) }
    })
    app.put('/os-security-groups/:id', { schema: { params: SecurityGroupIdParams, body: SecurityGroupBody, response: SecurityGroupResponse } }, async (req) => {
      assertProxyVersion(req)
      const g = req.body.security_group
      return { security_group: securityGroupView(await groups.updateGroup(req.auth, req.params.id, g.name, g.description)) }
    })
    app.delete('/os-security-groups/:id', { schema: { params: SecurityGroupIdParams } }, async (req, reply) => {
      assertProxyVersion(req)
      await groups.deleteGroup(req.auth, req.params.id)
      reply.status(202).send()
    })

    app.post('/os-security-group-rules', { schema: { body: SecurityGroupRuleBody, response: SecurityGroupRuleResponse } }, async (req) => {
      assertProxyVersion(req)
      const r = req.body.security_group_rule
      const rule = await groups.createRule(req.auth, r.parent_group_id, {
        ip_protocol: r.ip_protocol, from_port: r.from_port, to_port: r.to_port, cidr: r.cidr, group_id: r.group_id,
      })
      return { security_group_rule: securityGroupRuleView(rule) }
    })
    app.delete('/os-security-group-rules/:id', { schema: { params: SecurityGroupIdParams } }, async (req, reply) => {
      assertProxyVersion(req)
      await groups.deleteRule(req.auth, req.params.id)
      reply.status(202).send()
    })
  }
}
