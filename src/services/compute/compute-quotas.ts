import type { Db } from '../../db/schema.js'
import { Forbidden } from '../errors.js'
import { effectiveQuotas, fits, userQuotaOverrides } from '../quotas/quota-store.js'
import { ServiceErrorCode } from '../error-codes.js'

/**
 * Nova's default quotas ([quota] options in nova/conf/quota.py), in the order
 * Nova lists its quota resources. A project's overrides live in `quotas`
 * (service `compute`), set by an admin through `os-quota-sets`.
 */
export const DEFAULT_QUOTAS = {
  instances: 10,
  cores: 20,
  ram: 51200,
  metadata_items: 128,
  injected_files: 5,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
  key_pairs: 100,
  server_groups: 10,
  server_group_members: 10,
  floating_ips: 10,
  fixed_ips: -1,
  security_groups: 10,
  security_group_rules: 20,
} as const

/** A compute quota's name. */
export type ComputeQuota = keyof typeof DEFAULT_QUOTAS

/** The compute quotas of a project: defaults with its overrides. */
export function computeQuotas(db: Db, projectId: string): Promise<Record<ComputeQuota, number>> {
  return effectiveQuotas(db, 'compute', projectId, DEFAULT_QUOTAS)
}

/** A user's compute quotas inside a project: the project's, with the user's own limits over them (Nova's `get_user_quotas`). */
export async function computeUserQuotas(db: Db, projectId: string, userId: string): Promise<Record<ComputeQuota, number>> {
  const quotas = await computeQuotas(db, projectId)
  for (const [resource, limit] of await userQuotaOverrides(db, projectId, userId)) {
    if (Object.hasOwn(quotas, resource)) quotas[resource as ComputeQuota] = limit
  }
  return quotas
}

/** What a project's (or one of its users') live instances (deleted = 0) use: count, vCPUs and RAM (MiB) from their flavors. */
export async function instanceUsage(db: Db, projectId: string, userId?: string): Promise<{ instances: number; cores: number; ram: number }> {
  let query = db.selectFrom('instances').select('flavor').where('project_id', '=', projectId).where('deleted', '=', 0)
  if (userId !== undefined) query = query.where('user_id', '=', userId)
  const rows = await query.execute()
  let cores = 0
  let ram = 0
  for (const row of rows) {
    const flavor = JSON.parse(row.flavor) as { vcpus?: number; ram?: number }
    cores += flavor.vcpus ?? 0
    ram += flavor.ram ?? 0
  }
  return { instances: rows.length, cores, ram }
}

const INSTANCE_RESOURCES = ['cores', 'instances', 'ram'] as const
type InstanceResource = (typeof INSTANCE_RESOURCES)[number]
type InstanceFigures = Record<InstanceResource, number>

/**
 * How many of `minCount`..`maxCount` instances of a flavor the project's
 * instance, core and RAM quotas allow, as nova/compute/utils.py
 * `check_num_instances_quota` decides it: everything if it fits; else as
 * many as fit when that is at least `minCount`; else 403 TooManyInstances
 * with Nova's words. When the user has a limit of their own for any of the
 * three, each resource must also fit the user's limit with the user's usage
 * (Nova's `limit_check_project_and_user`), and a refusal over a user limit
 * reports the user's figures. Call inside the transaction that holds the
 * project's quota lock and inserts the instances.
 */
export async function allowedInstanceCount(db: Db, projectId: string, userId: string, flavor: { vcpus: number; ram: number }, minCount: number, maxCount: number): Promise<number> {
  const projectQuotas = await computeQuotas(db, projectId)
  const projectUsed = await instanceUsage(db, projectId)
  const overrides = await userQuotaOverrides(db, projectId, userId)
  // Nova counts per user only when the user has a limit of their own for one of these.
  const user = INSTANCE_RESOURCES.some((r) => overrides.has(r))
    ? { quotas: await computeUserQuotas(db, projectId, userId), used: await instanceUsage(db, projectId, userId) }
    : null
  const requested: InstanceFigures = { instances: maxCount, cores: maxCount * flavor.vcpus, ram: maxCount * flavor.ram }
  const overs: InstanceResource[] = []
  let overUser = false
  for (const r of INSTANCE_RESOURCES) {
    if (!fits(projectQuotas[r], projectUsed[r], requested[r])) overs.push(r)
    else if (user && !fits(user.quotas[r], user.used[r], requested[r])) {
      overs.push(r)
      overUser = true
    }
  }
  if (overs.length === 0) return maxCount
  const quotas: InstanceFigures = overUser && user ? user.quotas : projectQuotas
  const used: InstanceFigures = overUser && user ? user.used : projectUsed
  const headroom = (r: InstanceResource) => (quotas[r] < 0 ? Infinity : quotas[r] - used[r])
  let allowed = headroom('instances')
  if (flavor.vcpus) allowed = Math.min(allowed, Math.floor(headroom('cores') / flavor.vcpus))
  if (flavor.ram) allowed = Math.min(allowed, Math.floor(headroom('ram') / flavor.ram))
  if (allowed > 0 && minCount <= allowed && allowed <= maxCount) return allowedInstanceCount(db, projectId, userId, flavor, minCount, allowed)
  const shown = { instances: minCount === maxCount ? String(minCount) : `${minCount}-${maxCount}`, cores: String(requested.cores), ram: String(requested.ram) }
  const list = (f: (r: InstanceResource) => string) => overs.map(f).join(', ')
  throw new Forbidden(
    `Quota exceeded for ${list((r) => r)}: Requested ${list((r) => shown[r])}, but already used ${list((r) => String(used[r]))} of ${list((r) => String(quotas[r]))} ${list((r) => r)}`,
    ServiceErrorCode.QUOTA_INSTANCES,
  )
}

/** 403 when `count` metadata items exceed the project's `metadata_items` quota (Nova's MetadataLimitExceeded). */
export async function checkMetadataQuota(db: Db, projectId: string, count: number): Promise<void> {
  const { metadata_items: limit } = await computeQuotas(db, projectId)
  if (!fits(limit, 0, count)) throw new Forbidden(`Maximum number of metadata items exceeds ${limit}`, ServiceErrorCode.QUOTA_METADATA)
}

/** How many server groups a project has, and how many of them one of its users created. */
export async function serverGroupCounts(db: Db, projectId: string, userId?: string): Promise<{ project: number; user: number }> {
  const rows = await db.selectFrom('server_groups').select(['user_id']).where('project_id', '=', projectId).execute()
  return { project: rows.length, user: userId === undefined ? 0 : rows.filter((r) => r.user_id === userId).length }
}

/**
 * 403 with Nova's words when one more server group would pass the project's
 * `server_groups` limit or the user's (Nova counts groups per project and per
 * user). Call inside the transaction that holds the project's quota lock.
 */
export async function checkServerGroupQuota(db: Db, projectId: string, userId: string): Promise<void> {
  const project = await computeQuotas(db, projectId)
  const user = await computeUserQuotas(db, projectId, userId)
  const used = await serverGroupCounts(db, projectId, userId)
  if (!fits(project.server_groups, used.project, 1) || !fits(user.server_groups, used.user, 1)) {
    throw new Forbidden('Quota exceeded, too many server groups.', ServiceErrorCode.QUOTA_SERVER_GROUPS)
  }
}

/**
 * 403 with Nova's words when `adding` more of the user's servers would pass
 * `server_group_members` in a group. Nova counts a group's live members that
 * belong to the user, against the smaller of the project's and the user's limit.
 */
export async function checkServerGroupMembersQuota(db: Db, projectId: string, userId: string, groupId: string, adding: number): Promise<void> {
  const project = await computeQuotas(db, projectId)
  const user = await computeUserQuotas(db, projectId, userId)
  const limits = [project.server_group_members, user.server_group_members].filter((l) => l >= 0)
  const limit = limits.length ? Math.min(...limits) : -1
  const members = await db.selectFrom('server_group_members').innerJoin('instances', 'instances.uuid', 'server_group_members.instance_uuid')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('server_group_members.group_id', '=', groupId).where('instances.deleted', '=', 0).where('instances.user_id', '=', userId).executeTakeFirstOrThrow()
  if (!fits(limit, Number(members.n), adding)) {
    throw new Forbidden('Quota exceeded, too many servers in group', ServiceErrorCode.QUOTA_SERVER_GROUP_MEMBERS)
  }
}
