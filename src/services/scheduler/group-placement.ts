import type { Db } from '../../db/schema.js'

/**
 * The server group of an instance being scheduled, as the scheduler's group
 * filters and weighers see it (Nova's `RequestSpec.instance_group`).
 */
export interface GroupPlacement {
  groupId: string
  policy: string
  /** Anti-affinity's `max_server_per_host` rule (1 without it). */
  maxServerPerHost: number
  /** The hosts of the group's other live members, each with how many of them it holds. */
  memberHosts: Map<string, number>
}

/**
 * Nova's ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter: under
 * affinity a host passes when the group has no placed member yet or it holds
 * one; under anti-affinity when it holds fewer than `max_server_per_host` of
 * them. The soft policies never filter (their weighers order instead).
 */
export function groupHostPasses(group: GroupPlacement | null, host: string): boolean {
  if (!group) return true
  if (group.policy === 'affinity') return group.memberHosts.size === 0 || group.memberHosts.has(host)
  if (group.policy === 'anti-affinity') return (group.memberHosts.get(host) ?? 0) < group.maxServerPerHost
  return true
}

/**
 * Nova's ServerGroupSoftAffinityWeigher and ServerGroupSoftAntiAffinityWeigher:
 * more members on a host weigh for it under soft-affinity and against it
 * under soft-anti-affinity; other policies weigh every host alike.
 */
export function groupHostWeight(group: GroupPlacement | null, host: string): number {
  if (!group) return 0
  const members = group.memberHosts.get(host) ?? 0
  if (group.policy === 'soft-affinity') return members
  if (group.policy === 'soft-anti-affinity') return -members
  return 0
}

/** Hosts that pass the group filters, heaviest first (ties keep their order). */
export function orderForGroup<T>(group: GroupPlacement | null, candidates: T[], hostOf: (candidate: T) => string): T[] {
  const passing = candidates.filter((c) => groupHostPasses(group, hostOf(c)))
  if (!group) return passing
  return passing.map((c, index) => ({ c, index, weight: groupHostWeight(group, hostOf(c)) }))
    .sort((a, b) => b.weight - a.weight || a.index - b.index).map((x) => x.c)
}

/**
 * The group an instance belongs to, with where its other live members are
 * (members not placed yet have no host and count nowhere); null when the
 * instance is in no group.
 */
export async function loadGroupPlacement(db: Db, instanceUuid: string): Promise<GroupPlacement | null> {
  const group = await db.selectFrom('server_group_members').innerJoin('server_groups', 'server_groups.id', 'server_group_members.group_id')
    .select(['server_groups.id', 'server_groups.policy', 'server_groups.rules']).where('server_group_members.instance_uuid', '=', instanceUuid).executeTakeFirst()
  if (!group) return null
  const rows = await db.selectFrom('server_group_members').innerJoin('instances', 'instances.uuid', 'server_group_members.instance_uuid')
    .select('instances.host').where('server_group_members.group_id', '=', group.id).where('instances.deleted', '=', 0)
    .where('instances.uuid', '!=', instanceUuid).where('instances.host', 'is not', null).execute()
  const memberHosts = new Map<string, number>()
  for (const row of rows) if (row.host) memberHosts.set(row.host, (memberHosts.get(row.host) ?? 0) + 1)
  const rules = JSON.parse(group.rules) as { max_server_per_host?: number }
  return { groupId: group.id, policy: group.policy, maxServerPerHost: rules.max_server_per_host ?? 1, memberHosts }
}
