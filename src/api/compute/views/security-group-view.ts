import type { SecurityGroupRecord, SecurityGroupRuleRecord } from '../../../services/compute/security-group-service.js'

/** A rule as Nova shows it: `group` names the source group, else `ip_range` has the CIDR. */
export function securityGroupRuleView(rule: SecurityGroupRuleRecord) {
  return {
    id: rule.id,
    parent_group_id: rule.parentGroupId,
    ip_protocol: rule.ipProtocol,
    from_port: rule.fromPort,
    to_port: rule.toPort,
    group: rule.sourceGroup ? { name: rule.sourceGroup.name, tenant_id: rule.sourceGroup.projectId } : {},
    ip_range: rule.sourceGroup || rule.cidr === null ? {} : { cidr: rule.cidr },
  }
}

/** A security group with its rules (`os-security-groups`, `/servers/{id}/os-security-groups`). */
export function securityGroupView(group: SecurityGroupRecord) {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    tenant_id: group.projectId,
    rules: group.rules.map(securityGroupRuleView),
  }
}

/** `GET /servers/{id}/os-security-groups`: `{"security_groups": [...]}` (no microversion limit). */
export function serverSecurityGroupsView(groups: SecurityGroupRecord[]) {
  return { security_groups: groups.map(securityGroupView) }
}
