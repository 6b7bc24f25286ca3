import type { Db } from '../../db/schema.js'
import { Forbidden } from '../errors.js'
import { effectiveQuotas, fits } from '../quotas/quota-store.js'
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

/** What a project's live instances (deleted = 0) use: count, vCPUs and RAM (MiB) from their flavors. */
export async function instanceUsage(db: Db, projectId: string): Promise<{ instances: number; cores: number; ram: number }> {
  const rows = await db.selectFrom('instances').select('flavor').where('project_id', '=', projectId).where('deleted', '=', 0).execute()
  let cores = 0
  let ram = 0
  for (const row of rows) {
    const flavor = JSON.parse(row.flavor) as { vcpus?: number; ram?: number }
    cores += flavor.vcpus ?? 0
    ram += flavor.ram ?? 0
  }
  return { instances: rows.length, cores, ram }
}

/**
 * How many of `minCount`..`maxCount` instances of a flavor the project's
 * instance, core and RAM quotas allow, as nova/compute/api.py
 * `_check_num_instances_quota` decides it: everything if it fits; else as
 * many as fit when that is at least `minCount`; else 403 TooManyInstances
 * with Nova's words. Call inside the transaction that holds the project's
 * quota lock and inserts the instances.
 */
export async function allowedInstanceCount(db: Db, projectId: string, flavor: { vcpus: number; ram: number }, minCount: number, maxCount: number): Promise<number> {
  const quotas = await computeQuotas(db, projectId)
  const used = await instanceUsage(db, projectId)
  const requested = { instances: maxCount, cores: maxCount * flavor.vcpus, ram: maxCount * flavor.ram }
  const resources = ['cores', 'instances', 'ram'] as const
  const overs = resources.filter((r) => !fits(quotas[r], used[r], requested[r]))
  if (overs.length === 0) return maxCount
  const headroom = (r: (typeof resources)[number]) => (quotas[r] < 0 ? Infinity : quotas[r] - used[r])
  let allowed = headroom('instances')
  if (flavor.vcpus) allowed = Math.min(allowed, Math.floor(headroom('cores') / flavor.vcpus))
  if (flavor.ram) allowed = Math.min(allowed, Math.floor(headroom('ram') / flavor.ram))
  if (allowed > 0 && minCount <= allowed && allowed <= maxCount) return allowed
  const shown = { instances: minCount === maxCount ? String(minCount) : `${minCount}-${maxCount}`, cores: String(requested.cores), ram: String(requested.ram) }
  const list = (f: (r: (typeof resources)[number]) => string) => overs.map(f).join(', ')
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
