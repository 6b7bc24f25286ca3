import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import type { SecurityGroupInput, SecurityGroupRuleInput } from '../../services/network/security-groups.js'
import { collectionRoutes } from './collection-routes.js'
import { registerNetworkExtension } from './extensions.js'
import {
  SecurityGroupCreateBody, SecurityGroupListResponse, SecurityGroupResponse, SecurityGroupRuleCreateBody, SecurityGroupRuleListResponse,
  SecurityGroupRuleResponse, SecurityGroupUpdateBody,
} from './security-group-schemas.js'

/** `/v2.0/security-groups` and `/v2.0/security-group-rules` (rules have no update, as in Neutron). */
export function securityGroupRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const sg = () => ctx.services.networkSecurityGroups
  registerNetworkExtension('security-group', 'security-group', 'The security groups extension.')
  registerNetworkExtension('stateful-security-group', 'Stateful security group', 'Indicates if the security group is stateful or not')
  registerNetworkExtension('security-groups-normalized-cidr', 'Security Groups Normalized CIDR', 'Add new field with normalized remote_ip_prefix cidr in SG rule')
  return collectionRoutes(ctx, [
    {
      path: 'security-groups', tags: 'security-groups', plural: 'security_groups', singular: 'security_group', readOnly: ['id', 'tenant_id', 'project_id', 'security_group_rules'],
      list: (a, q) => sg().listGroups(a, q), show: (a, id, f) => sg().showGroup(a, id, f), create: (a, i) => sg().createGroup(a, i as SecurityGroupInput),
      update: (a, id, i) => sg().updateGroup(a, id, i as SecurityGroupInput), remove: (a, id) => sg().deleteGroup(a, id),
      schemas: { create: SecurityGroupCreateBody, update: SecurityGroupUpdateBody, one: SecurityGroupResponse, many: SecurityGroupListResponse },
    },
    {
      path: 'security-group-rules', plural: 'security_group_rules', singular: 'security_group_rule', readOnly: [],
      list: (a, q) => sg().listRules(a, q), show: (a, id, f) => sg().showRule(a, id, f), create: (a, i) => sg().createRule(a, i as unknown as SecurityGroupRuleInput),
      remove: (a, id) => sg().deleteRule(a, id),
      schemas: { create: SecurityGroupRuleCreateBody, one: SecurityGroupRuleResponse, many: SecurityGroupRuleListResponse },
    },
  ])
}
