import type { Db } from '../../db/schema.js'
import type { FlavorSnapshot, InstanceRow } from './instance-store.js'
import { Forbidden } from '../errors.js'
import { fits, userQuotaOverrides } from '../quotas/quota-store.js'
import { ServiceErrorCode } from '../error-codes.js'
import { computeQuotas, computeUserQuotas, instanceUsage } from './compute-quotas.js'

const RESOURCES = ['cores', 'ram'] as const

/**
 * Nova's `_check_quota_for_upsize`: the growth in cores and RAM from
 * `current` to `next` (nothing when it shrinks) must fit the project's quota,
 * and the user's when the user has a limit of their own; else 403
 * TooManyInstances in Nova's words, with the figures of the limit passed.
 */
export async function checkResizeQuota(db: Db, instance: Pick<InstanceRow, 'project_id' | 'user_id'>, current: Pick<FlavorSnapshot, 'vcpus' | 'ram'>, next: Pick<FlavorSnapshot, 'vcpus' | 'ram'>): Promise<void> {
  const deltas = { cores: Math.max(0, next.vcpus - current.vcpus), ram: Math.max(0, next.ram - current.ram) }
  const wanted = RESOURCES.filter((r) => deltas[r] > 0)
  if (wanted.length === 0) return
  const overrides = await userQuotaOverrides(db, instance.project_id, instance.user_id)
  const scopes = [{ quotas: await computeQuotas(db, instance.project_id), used: await instanceUsage(db, instance.project_id) }]
  if (wanted.some((r) => overrides.has(r))) {
    scopes.push({ quotas: await computeUserQuotas(db, instance.project_id, instance.user_id), used: await instanceUsage(db, instance.project_id, instance.user_id) })
  }
  for (const { quotas, used } of scopes) {
    const overs = wanted.filter((r) => !fits(quotas[r], used[r], deltas[r]))
    if (overs.length === 0) continue
    const list = (f: (r: (typeof RESOURCES)[number]) => string) => overs.map(f).join(', ')
    throw new Forbidden(
      `Quota exceeded for ${list((r) => r)}: Requested ${list((r) => String(deltas[r]))}, but already used ${list((r) => String(used[r]))} of ${list((r) => String(quotas[r]))} ${list((r) => r)}`,
      ServiceErrorCode.QUOTA_INSTANCES,
    )
  }
}
