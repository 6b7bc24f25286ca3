import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import { authorize, PolicyNotAuthorized } from '../policy.js'
import { InvalidRequest } from '../errors.js'
import { deleteQuotas, setQuotas } from '../quotas/quota-store.js'
import { computeQuotas, DEFAULT_QUOTAS, instanceUsage, type ComputeQuota } from './compute-quotas.js'

/** One quota with its usage, as `os-quota-sets/{id}/detail` shows it. */
export interface QuotaDetail {
  limit: number
  in_use: number
  reserved: number
}

/**
 * Nova's `os-quota-sets`: a project's compute quotas, their defaults and
 * usage, and an admin's changes to them (nova/api/openstack/compute/quota_sets.py).
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

  /** `GET /os-quota-sets/{id}`: the project's quotas. */
  async show(auth: AuthContext, projectId: string): Promise<Record<ComputeQuota, number>> {
    this.#readable(auth, 'os_compute_api:os-quota-sets:show', projectId)
    await this.#verifyProject(projectId)
    return computeQuotas(this.#deps.db, projectId)
  }

  /** `GET /os-quota-sets/{id}/detail`: each quota with what the project uses of it. */
  async detail(auth: AuthContext, projectId: string): Promise<Record<ComputeQuota, QuotaDetail>> {
    this.#readable(auth, 'os_compute_api:os-quota-sets:detail', projectId)
    await this.#verifyProject(projectId)
    const quotas = await computeQuotas(this.#deps.db, projectId)
    const used = await this.#usage(projectId)
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
   * `PUT /os-quota-sets/{id}` (admin): sets the given quotas. Without
   * `force`, a limit below what the project already uses is a 400 with
   * Nova's words (-1 is unlimited).
   */
  async update(auth: AuthContext, projectId: string, values: Partial<Record<ComputeQuota, number>>, force: boolean): Promise<Record<ComputeQuota, number>> {
    authorize(auth, 'os_compute_api:os-quota-sets:update', 'admin')
    await this.#verifyProject(projectId)
    if (!force) {
      const used = await this.#usage(projectId)
      for (const [key, limit] of Object.entries(values) as Array<[ComputeQuota, number]>) {
        const minimum = used[key] ?? 0
        if (limit !== -1 && limit < minimum) {
          throw new InvalidRequest(`Quota limit ${limit} for ${key} must be greater than or equal to already used and reserved ${minimum}.`)
        }
      }
    }
    await this.#deps.db.transaction().execute((trx) => setQuotas(trx, 'compute', projectId, values))
    return computeQuotas(this.#deps.db, projectId)
  }

  /** `DELETE /os-quota-sets/{id}` (admin): back to the defaults. */
  async reset(auth: AuthContext, projectId: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-quota-sets:delete', 'admin')
    await deleteQuotas(this.#deps.db, 'compute', projectId)
  }

  /** What the project uses of the quotas Lifeboat counts. */
  async #usage(projectId: string): Promise<Partial<Record<ComputeQuota, number>>> {
    const db = this.#deps.db
    const instances = await instanceUsage(db, projectId)
    const groups = await db.selectFrom('security_groups').select((eb) => eb.fn.countAll<string | number>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow()
    return { ...instances, security_groups: Number(groups.n) }
  }
}
