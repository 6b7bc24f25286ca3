import type { Db } from '../../db/schema.js'
import { LifeboatError } from '../errors.js'
import { effectiveQuotas, fits } from '../quotas/quota-store.js'
import { ServiceErrorCode } from '../error-codes.js'
import { DEFAULT_VOLUME_TYPE } from './volume-types.js'

const TYPE = DEFAULT_VOLUME_TYPE.name

/**
 * Cinder's default quotas (cinder/quota.py options), with the per-type ones
 * Cinder adds for each volume type (unlimited unless set). Overrides live in
 * `quotas` (service `volume`), set through Cinder's `os-quota-sets`.
 */
export const DEFAULT_VOLUME_QUOTAS = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  per_volume_gigabytes: -1,
  groups: 10,
  [`volumes_${TYPE}`]: -1,
  [`snapshots_${TYPE}`]: -1,
  [`gigabytes_${TYPE}`]: -1,
} as Readonly<Record<string, number>>

/** What a project's volumes and snapshots use: counts, and GiB of both (Cinder counts snapshots in `gigabytes`). */
export interface VolumeUsage {
  volumes: number
  snapshots: number
  gigabytes: number
}

/** A project's volume quotas: defaults with its overrides. */
export function volumeQuotas(db: Db, projectId: string): Promise<Record<string, number>> {
  return effectiveQuotas(db, 'volume', projectId, DEFAULT_VOLUME_QUOTAS)
}

/** What a project uses of its volume quotas (per type too: Lifeboat has one type). */
export async function volumeUsage(db: Db, projectId: string): Promise<VolumeUsage & Record<string, number>> {
  const volumes = await db.selectFrom('volumes').select('size').where('project_id', '=', projectId).execute()
  const snapshots = await db.selectFrom('volume_snapshots').select('size').where('project_id', '=', projectId).execute()
  const gigabytes = [...volumes, ...snapshots].reduce((sum, r) => sum + Number(r.size), 0)
  return {
    volumes: volumes.length, snapshots: snapshots.length, gigabytes,
    [`volumes_${TYPE}`]: volumes.length, [`snapshots_${TYPE}`]: snapshots.length, [`gigabytes_${TYPE}`]: gigabytes,
  }
}

/** Cinder's QuotaError: 413 with `Retry-After: 0`. */
function quotaError(message: string, code: ServiceErrorCode): LifeboatError {
  return new LifeboatError(message, code, 413, { headers: { 'Retry-After': '0' } })
}

/** Cinder's VolumeSizeExceedsAvailableQuota. */
function gigabytesExceeded(name: string, requested: number, quota: number, consumed: number): LifeboatError {
  return quotaError(`Requested volume or snapshot exceeds allowed ${name} quota. Requested ${requested}G, quota is ${quota}G and ${consumed}G has been consumed.`, ServiceErrorCode.QUOTA_GIGABYTES)
}

/**
 * A new volume of `size` GiB against the project's quotas, as Cinder's
 * QuotaReserveTask and quota_utils.process_reserve_over_quota answer
 * (per-volume size, then volumes, then gigabytes). Call under the project's
 * quota lock, in the transaction that inserts the volume.
 */
export async function checkVolumeQuota(db: Db, projectId: string, size: number): Promise<void> {
  const quotas = await volumeQuotas(db, projectId)
  assertPerVolumeSize(quotas, size)
  const used = await volumeUsage(db, projectId)
  for (const over of ['volumes', `volumes_${TYPE}`]) {
    if (!fits(quotas[over]!, used[over]!, 1)) throw quotaError(`Maximum number of volumes allowed (${quotas[over]}) exceeded for quota '${over}'.`, ServiceErrorCode.QUOTA_VOLUMES)
  }
  assertGigabytes(quotas, used, size)
}

/** Cinder's per-volume size limit (`per_volume_gigabytes`, -1 = none). */
function assertPerVolumeSize(quotas: Record<string, number>, size: number): void {
  const perVolume = quotas.per_volume_gigabytes!
  if (perVolume >= 0 && size > perVolume) {
    throw quotaError(`Requested volume size ${size}G is larger than maximum allowed limit ${perVolume}G.`, ServiceErrorCode.QUOTA_VOLUME_SIZE)
  }
}

/** `more` GiB against the project's gigabytes quotas (all types, then the default type). */
function assertGigabytes(quotas: Record<string, number>, used: Record<string, number>, more: number): void {
  for (const over of ['gigabytes', `gigabytes_${TYPE}`]) {
    if (!fits(quotas[over]!, used[over]!, more)) throw gigabytesExceeded(over, more, quotas[over]!, used[over]!)
  }
}

/** A new snapshot of `size` GiB against the project's quotas (snapshots, then gigabytes), as Cinder answers. */
export async function checkSnapshotQuota(db: Db, projectId: string, size: number): Promise<void> {
  const quotas = await volumeQuotas(db, projectId)
  const used = await volumeUsage(db, projectId)
  for (const over of ['snapshots', `snapshots_${TYPE}`]) {
    if (!fits(quotas[over]!, used[over]!, 1)) throw quotaError(`Maximum number of snapshots allowed (${quotas[over]}) exceeded`, ServiceErrorCode.QUOTA_SNAPSHOTS)
  }
  assertGigabytes(quotas, used, size)
}

/** Growing a volume by `delta` GiB against the gigabytes quotas (Cinder's extend reserve). */
export async function checkExtendQuota(db: Db, projectId: string, newSize: number, delta: number): Promise<void> {
  const quotas = await volumeQuotas(db, projectId)
  assertPerVolumeSize(quotas, newSize)
  assertGigabytes(quotas, await volumeUsage(db, projectId), delta)
}
