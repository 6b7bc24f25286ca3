import type { AuthContext } from '../identity/auth-context.js'
import type { Store } from '../store.js'
import { authorize, PolicyNotAuthorized } from '../policy.js'
import { InvalidRequest } from '../errors.js'
import { deleteQuotas, setQuotas } from '../quotas/quota-store.js'
import { DEFAULT_VOLUME_QUOTAS, volumeQuotas, volumeUsage } from './volume-quotas.js'
import { isTrueString } from '../../util/bool-string.js'

/** One quota with its usage (`?usage=True`). */
export interface VolumeQuotaDetail {
  limit: number
  in_use: number
  reserved: number
}

/** Keys of a quota-set body that are not quotas (cinder/api/contrib/quotas.py NON_QUOTA_KEYS). */
const NON_QUOTA_KEYS = new Set(['tenant_id', 'id', 'skip_validation'])

/** Cinder's `os-quota-sets`: a project's volume quotas, their defaults and usage; admins change them. */
export class VolumeQuotaSets {
  readonly #deps: Store

  constructor(deps: Store) {
    this.#deps = deps
  }

  /** `GET /os-quota-sets/{id}`: readers of that project or admins; with usage, each quota as limit/in_use/reserved. */
  async show(auth: AuthContext, projectId: string, usage: boolean): Promise<Record<string, number | VolumeQuotaDetail>> {
    authorize(auth, 'volume_extension:quotas:show', 'reader')
    if (!auth.isAdmin && auth.projectId !== projectId) throw new PolicyNotAuthorized('volume_extension:quotas:show')
    const quotas = await volumeQuotas(this.#deps.db, projectId)
    if (!usage) return quotas
    const used: Record<string, number> = await volumeUsage(this.#deps.db, projectId)
    return Object.fromEntries(Object.entries(quotas).map(([key, limit]) => [key, { limit, in_use: used[key] ?? 0, reserved: 0 }]))
  }

  /** `GET /os-quota-sets/{id}/defaults`. */
  defaults(auth: AuthContext): Record<string, number> {
    authorize(auth, 'volume_extension:quotas:show', 'reader')
    return { ...DEFAULT_VOLUME_QUOTAS }
  }

  /**
   * `PUT /os-quota-sets/{id}` (admin): Cinder's checks (unknown keys, integers
   * from -1; with `skip_validation: false`, no limit below what is in use).
   */
  async update(auth: AuthContext, projectId: string, body: Record<string, unknown>): Promise<Record<string, number>> {
    authorize(auth, 'volume_extension:quotas:update', 'admin')
    const bad = Object.keys(body).filter((k) => !Object.hasOwn(DEFAULT_VOLUME_QUOTAS, k) && !NON_QUOTA_KEYS.has(k))
    if (bad.length > 0) throw new InvalidRequest(`Invalid input received: Bad key(s) in quota set: ${bad.join(', ')}`)
    const values: Record<string, number> = {}
    for (const [key, raw] of Object.entries(body)) {
      if (NON_QUOTA_KEYS.has(key)) continue
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?[0-9]+$/.test(raw.trim()) ? Number(raw) : NaN
      if (!Number.isInteger(value)) throw new InvalidRequest(`Invalid input received: ${key} must be an integer.`)
      if (value < -1) throw new InvalidRequest(`Invalid input received: ${key} must be >= -1`)
      if (value > 2147483647) throw new InvalidRequest(`Invalid input received: ${key} must be <= 2147483647`)
      values[key] = value
    }
    const skip = body.skip_validation === undefined ? true : isTrueString(String(body.skip_validation))
    if (!skip) {
      const used: Record<string, number> = await volumeUsage(this.#deps.db, projectId)
      for (const [key, limit] of Object.entries(values)) {
        const usage = used[key] ?? 0
        if (limit !== -1 && limit < usage) {
          throw new InvalidRequest(`Quota ${key} limit must be equal or greater than existing resources. Current usage is ${usage} and the requested limit is ${limit}.`)
        }
      }
    }
    await this.#deps.db.transaction().execute((trx) => setQuotas(trx, 'volume', projectId, values))
    return volumeQuotas(this.#deps.db, projectId)
  }

  /** `DELETE /os-quota-sets/{id}` (admin): back to the defaults. */
  async reset(auth: AuthContext, projectId: string): Promise<void> {
    authorize(auth, 'volume_extension:quotas:delete', 'admin')
    await deleteQuotas(this.#deps.db, 'volume', projectId)
  }

  /** `GET /limits`: the caller's project's quotas and usage. */
  async limits(auth: AuthContext): Promise<{ quotas: Record<string, number>; used: Record<string, number> }> {
    authorize(auth, 'limits_extension:used_limits', 'reader')
    const projectId = auth.projectId ?? ''
    return { quotas: await volumeQuotas(this.#deps.db, projectId), used: await volumeUsage(this.#deps.db, projectId) }
  }
}
