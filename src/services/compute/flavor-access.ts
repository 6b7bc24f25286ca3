import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import { authorize } from '../policy.js'
import { Conflict, InvalidRequest, NotFound } from '../errors.js'
import { validateExtraSpec } from './flavor-extra-specs.js'
import { isUniqueViolation } from './unique-violation.js'
import { ServiceErrorCode } from '../error-codes.js'
import { FlavorExtraSpecNotFound } from './compute-errors.js'

/** What the access rules read of a flavor: the flavor service's `getFlavor` (404 when the caller can't see it). */
type FlavorReader = (auth: AuthContext, id: string) => Promise<{ isPublic: boolean; extraSpecs: Record<string, string> }>

/** One project's access to a private flavor. */
export interface FlavorAccessEntry {
  flavorId: string
  projectId: string
}

/** Nova's flavor extra specs (`os-extra_specs`) and flavor access (`os-flavor-access`) rules. */
export class FlavorAccessRules {
  readonly #deps: Store
  readonly #getFlavor: FlavorReader

  constructor(deps: Store, getFlavor: FlavorReader) {
    this.#deps = deps
    this.#getFlavor = getFlavor
  }

  /** `GET /flavors/{id}/os-extra_specs`: any user who can see the flavor. */
  async getExtraSpecs(auth: AuthContext, flavorId: string): Promise<Record<string, string>> {
    authorize(auth, 'os_compute_api:os-flavor-extra-specs:index', 'reader')
    return (await this.#getFlavor(auth, flavorId)).extraSpecs
  }

  /** `GET /flavors/{id}/os-extra_specs/{key}`: 404 when the key is absent. */
  async getExtraSpec(auth: AuthContext, flavorId: string, key: string): Promise<string> {
    authorize(auth, 'os_compute_api:os-flavor-extra-specs:show', 'reader')
    const specs = (await this.#getFlavor(auth, flavorId)).extraSpecs
    if (!Object.hasOwn(specs, key)) throw new FlavorExtraSpecNotFound(flavorId, key)
    return specs[key]!
  }

  /**
   * Admin: merges specs into the flavor's (create and update alike). Numbers become
   * strings (255 characters at most); with `validate` (2.86+) each spec is checked as Nova does.
   */
  async setExtraSpecs(auth: AuthContext, flavorId: string, specs: Record<string, string | number>, validate: boolean): Promise<Record<string, string>> {
    authorize(auth, 'os_compute_api:os-flavor-extra-specs:create', 'admin')
    const values: Record<string, string> = {}
    for (const [key, raw] of Object.entries(specs)) {
      const value = typeof raw === 'number' ? String(raw) : raw
      if (typeof raw === 'number' && value.length > 255) {
        throw new InvalidRequest('Invalid input received: extra_specs value has more than 255 characters.')
      }
      if (validate) validateExtraSpec(key, value)
      values[key] = value
    }
    await this.#getFlavor(auth, flavorId)
    await this.#deps.db.transaction().execute(async (trx) => {
      const keys = Object.keys(values)
      if (keys.length) await trx.deleteFrom('flavor_extra_specs').where('flavor_id', '=', flavorId).where('key', 'in', keys).execute()
      for (const [key, value] of Object.entries(values)) {
        await trx.insertInto('flavor_extra_specs').values({ flavor_id: flavorId, key, value }).execute()
      }
    }).catch((error: unknown) => {
      if (isUniqueViolation(error)) throw new Conflict(`Flavor ${flavorId} extra spec cannot be updated or created after 1 retries.`)
      throw error
    })
    return values
  }

  /** Admin: removes one extra spec; 404 when absent. */
  async deleteExtraSpec(auth: AuthContext, flavorId: string, key: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-flavor-extra-specs:delete', 'admin')
    await this.#getFlavor(auth, flavorId)
    const result = await this.#deps.db.deleteFrom('flavor_extra_specs').where('flavor_id', '=', flavorId).where('key', '=', key).executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) {
      throw new FlavorExtraSpecNotFound(flavorId, key)
    }
  }

  async #entries(flavorId: string): Promise<FlavorAccessEntry[]> {
    const rows = await this.#deps.db.selectFrom('flavor_projects').select(['flavor_id', 'project_id'])
      .where('flavor_id', '=', flavorId).orderBy('project_id').execute()
    return rows.map((r) => ({ flavorId: r.flavor_id, projectId: r.project_id }))
  }

  /** Admin: the projects a private flavor is shared with; 404 for a public flavor, as Nova. */
  async listFlavorAccess(auth: AuthContext, flavorId: string): Promise<FlavorAccessEntry[]> {
    authorize(auth, 'os_compute_api:os-flavor-access', 'admin')
    const flavor = await this.#getFlavor(auth, flavorId)
    if (flavor.isPublic) throw new NotFound('Access list not available for public flavors.', ServiceErrorCode.FLAVOR_ACCESS_PUBLIC)
    return this.#entries(flavorId)
  }

  /** Admin `addTenantAccess`: 400 for an unknown project; 409 if public (2.7+) or already shared. */
  async addTenantAccess(auth: AuthContext, flavorId: string, projectId: string, refusePublic: boolean): Promise<FlavorAccessEntry[]> {
    authorize(auth, 'os_compute_api:os-flavor-access:add_tenant_access', 'admin')
    await this.#assertProject(projectId)
    const flavor = await this.#getFlavor(auth, flavorId)
    if (refusePublic && flavor.isPublic) throw new Conflict('Can not add access to a public flavor.', ServiceErrorCode.FLAVOR_PUBLIC)
    const exists = await this.#deps.db.selectFrom('flavor_projects').select('flavor_id')
      .where('flavor_id', '=', flavorId).where('project_id', '=', projectId).executeTakeFirst()
    const message = `Flavor access already exists for flavor ${flavorId} and project ${projectId} combination.`
    if (exists) throw new Conflict(message, ServiceErrorCode.FLAVOR_ACCESS_EXISTS)
    await this.#deps.db.insertInto('flavor_projects').values({ flavor_id: flavorId, project_id: projectId }).execute().catch((error: unknown) => {
      if (isUniqueViolation(error)) throw new Conflict(message, ServiceErrorCode.FLAVOR_ACCESS_EXISTS)
      throw error
    })
    return this.#entries(flavorId)
  }

  /** Admin `removeTenantAccess`: 404 when the project has no access. */
  async removeTenantAccess(auth: AuthContext, flavorId: string, projectId: string): Promise<FlavorAccessEntry[]> {
    authorize(auth, 'os_compute_api:os-flavor-access:remove_tenant_access', 'admin')
    await this.#getFlavor(auth, flavorId)
    const result = await this.#deps.db.deleteFrom('flavor_projects').where('flavor_id', '=', flavorId).where('project_id', '=', projectId).executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) {
      throw new NotFound(`Flavor access not found for ${flavorId} / ${projectId} combination.`, ServiceErrorCode.FLAVOR_ACCESS_NOT_FOUND)
    }
    return this.#entries(flavorId)
  }

  async #assertProject(projectId: string): Promise<void> {
    const row = await this.#deps.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst()
    if (!row) throw new InvalidRequest(`Project ID ${projectId} is not a valid project.`, ServiceErrorCode.INVALID_PROJECT)
  }
}
