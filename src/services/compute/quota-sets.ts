import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import { authorize, PolicyNotAuthorized } from '../policy.js'
import { InvalidRequest } from '../errors.js'
import { deleteQuotas, deleteUserQuotas, setQuotas, setUserQuotas, userQuotaOverrides, userQuotaSums } from '../quotas/quota-store.js'
import { ServiceErrorCode } from '../error-codes.js'
import { computeQuotas, computeUserQuotas, DEFAULT_QUOTAS, instanceUsage, serverGroupCounts, type ComputeQuota } from './compute-quotas.js'

/** One quota with its usage, as `os-quota-sets/{id}/detail` shows it. */
export interface QuotaDetail {
  limit: number
  in_use: number
  reserved: number
}

/**
 * Nova's `os-quota-sets`: a project's compute quotas, their defaults and
 * usage, and an admin's changes to them; with a `user_id`, the same for one
 * user inside the project (nova/api/openstack/compute/quota_sets.py).
 */
export class QuotaSetService {
  readonly #deps: Store

  constructor(deps: Store) {
    this.#deps = deps
  }

  /** Readers of the project itself or admins (Nova's PROJECT_READER_OR_ADMIN). */
  #readable(auth: AuthContext, rule: string, projectId: string): void {
    authorize(auth, rule, 'reader')
    if (!auth.isAdmin && auth.projectId !== projectId) throw new PolicyNotAuthorized(rule)
  }

  /** Nova's identity.verify_project_id: 400 for a project Keystone doesn't know. */
  async #verifyProject(projectId: string): Promise<void> {
    const row = await this.#deps.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst()
    if (!row) throw new InvalidRequest(`Project ID ${projectId} is not a valid project.`)
  }

  /** The quotas shown: the project's, or a user's inside it (the project's with the user's own over them). */
  #quotas(projectId: string, userId: string | undefined): Promise<Record<ComputeQuota, number>> {
    return userId === undefined ? computeQuotas(this.#deps.db, projectId) : computeUserQuotas(this.#deps.db, projectId, userId)
  }

  /** `GET /os-quota-sets/{id}[?user_id=]`: the project's quotas, or a user's. */
  async show(auth: AuthContext, projectId: string, userId?: string): Promise<Record<ComputeQuota, number>> {
    this.#readable(auth, 'os_compute_api:os-quota-sets:show', projectId)
    await this.#verifyProject(projectId)
    return this.#quotas(projectId, userId)
  }

  /** `GET /os-quota-sets/{id}/detail[?user_id=]`: each quota with what the project (or the user) uses of it. */
  async detail(auth: AuthContext, projectId: string, userId?: string): Promise<Record<ComputeQuota, QuotaDetail>> {
    this.#readable(auth, 'os_compute_api:os-quota-sets:detail', projectId)
    await this.#verifyProject(projectId)
    const quotas = await this.#quotas(projectId, userId)
    const used = await this.#usage(projectId, userId)
    const result = {} as Record<ComputeQuota, QuotaDetail>
    for (const key of Object.keys(quotas) as ComputeQuota[]) result[key] = { limit: quotas[key], in_use: used[key] ?? 0, reserved: 0 }
    return result
  }

  /** `GET /os-quota-sets/{id}/defaults`: the defaults (any authenticated caller, as Nova). */
  async defaults(auth: AuthContext, projectId: string): Promise<Record<ComputeQuota, number>> {
    authorize(auth, 'os_compute_api:os-quota-sets:defaults', 'reader')
    await this.#verifyProject(projectId)
    return { ...DEFAULT_QUOTAS }
  }

  /**
   * `PUT /os-quota-sets/{id}[?user_id=]` (admin): sets the given quotas of
   * the project or of one of its users. Without `force`, each limit is
   * checked against the range Nova's `get_settable_quotas` allows (-1 is
   * unlimited): a project's at least what it uses and what its users' limits
   * add up to; a user's at least what the user uses and at most what the
   * project has not given to other users. 400 with Nova's words otherwise.
   */
  async update(auth: AuthContext, projectId: string, values: Partial<Record<ComputeQuota, number>>, force: boolean, userId?: string): Promise<Record<ComputeQuota, number>> {
    authorize(auth, 'os_compute_api:os-quota-sets:update', 'admin')
    await this.#verifyProject(projectId)
    if (!force) {
      const ranges = await this.#settable(projectId, userId)
      for (const [key, limit] of Object.entries(values) as Array<[ComputeQuota, number]>) {
        const { minimum, maximum } = ranges[key]
        if (unlimitedAsInfinity(limit) < unlimitedAsInfinity(minimum)) {
          throw new InvalidRequest(`Quota limit ${limit} for ${key} must be greater than or equal to already used and reserved ${minimum}.`, ServiceErrorCode.QUOTA_LIMIT_INVALID)
        }
        if (unlimitedAsInfinity(limit) > unlimitedAsInfinity(maximum)) {
          throw new InvalidRequest(`Quota limit ${limit} for ${key} must be less than or equal to ${maximum}.`, ServiceErrorCode.QUOTA_LIMIT_INVALID)
        }
      }
    }
    await this.#deps.db.transaction().execute((trx) => (userId === undefined ? setQuotas(trx, 'compute', projectId, values) : setUserQuotas(trx, projectId, userId, values)))
    return this.#quotas(projectId, userId)
  }

  /** `DELETE /os-quota-sets/{id}[?user_id=]` (admin): a user's limits go, or the project's and all its users'. */
  async reset(auth: AuthContext, projectId: string, userId?: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-quota-sets:delete', 'admin')
    await this.#deps.db.transaction().execute(async (trx) => {
      if (userId === undefined) await deleteQuotas(trx, 'compute', projectId)
      await deleteUserQuotas(trx, projectId, userId)
    })
  }

  /** Nova's `get_settable_quotas`: the range each quota of the project (or of a user in it) may be set to; -1 is unlimited. */
  async #settable(projectId: string, userId: string | undefined): Promise<Record<ComputeQuota, { minimum: number; maximum: number }>> {
    const db = this.#deps.db
    const project = await computeQuotas(db, projectId)
    const given = await userQuotaSums(db, projectId)
    const used = await this.#usage(projectId, userId)
    const own = userId === undefined ? new Map<string, number>() : await userQuotaOverrides(db, projectId, userId)
    const result = {} as Record<ComputeQuota, { minimum: number; maximum: number }>
    for (const key of Object.keys(project) as ComputeQuota[]) {
      // What the project has not given to its users (Nova's `remains`).
      const remains = project[key] - (given.get(key) ?? 0)
      const inUse = used[key] ?? 0
      result[key] = userId === undefined
        ? { minimum: Math.max(isUnlimited(project[key]) || isUnlimited(remains) ? -1 : project[key] - remains, inUse), maximum: -1 }
        : { minimum: inUse, maximum: isUnlimited(remains) || isUnlimited(own.get(key) ?? 0) ? -1 : remains + (own.get(key) ?? 0) }
    }
    return result
  }

  /**
   * What the project (or one of its users) uses of the quotas Lifeboat
   * counts. key_pairs and server_group_members count as 0 here, as in Nova's
   * `_get_usages`; security groups are the project's.
   */
  async #usage(projectId: string, userId?: string): Promise<Partial<Record<ComputeQuota, number>>> {
    const db = this.#deps.db
    const instances = await instanceUsage(db, projectId, userId)
    const groups = await db.selectFrom('security_groups').select((eb) => eb.fn.countAll<string | number>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow()
    const serverGroups = await serverGroupCounts(db, projectId, userId)
    return { ...instances, security_groups: Number(groups.n), server_groups: userId === undefined ? serverGroups.project : serverGroups.user }
  }
}

/** Nova's `_is_unlimited_value`: anything at or below -1. */
function isUnlimited(value: number): boolean {
  return value <= -1
}

/** Nova's `conv_inf`: -1 compares as infinity. */
function unlimitedAsInfinity(value: number): number {
  return value === -1 ? Infinity : value
}
