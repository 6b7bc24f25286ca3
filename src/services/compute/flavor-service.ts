import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { Database } from '../../db/schema.js'
import type { FlavorsTable } from '../../db/tables/compute-tables.js'
import { authorize } from '../policy.js'
import { Conflict, InvalidRequest } from '../errors.js'
import { nowIso } from '../time.js'
import { FlavorAccessRules } from './flavor-access.js'
import { isUniqueViolation } from './unique-violation.js'
import { compareValues } from '../../util/compare-values.js'
import { ServiceErrorCode } from '../error-codes.js'
import { FlavorExists, FlavorNotFound } from './compute-errors.js'

/** A flavor with its extra specs. */
export interface FlavorRecord {
  id: string
  name: string
  vcpus: number
  ram: number
  disk: number
  ephemeral: number
  swap: number
  rxtxFactor: number
  isPublic: boolean
  disabled: boolean
  description: string | null
  extraSpecs: Record<string, string>
}

/** What an admin gives to create a flavor (already schema-checked). */
export interface NewFlavor {
  id?: string | null
  name: string
  ram: number
  vcpus: number
  disk: number
  ephemeral?: number
  swap?: number
  rxtxFactor?: number
  isPublic?: boolean
  description?: string | null
}

/** Nova's sort keys and the columns they mean here. */
export const FLAVOR_SORT_KEYS: Record<string, keyof FlavorRecord> = {
  created_at: 'id', description: 'description', disabled: 'disabled', ephemeral_gb: 'ephemeral', flavorid: 'id', id: 'id',
  is_public: 'isPublic', memory_mb: 'ram', name: 'name', root_gb: 'disk', rxtx_factor: 'rxtxFactor', swap: 'swap',
  updated_at: 'id', vcpu_weight: 'id', vcpus: 'vcpus',
}

/** Filters and paging of `GET /flavors[/detail]`. */
export interface FlavorListQuery {
  /** Admins only: true (public + accessible, the default), false (private only), null (all). */
  isPublic?: boolean | null
  minRam?: number
  minDisk?: number
  sortKey?: string
  sortDir?: 'asc' | 'desc'
  limit?: number
  marker?: string
}

// The flavors DevStack's nova creates; ids and sizes as Nova's own defaults.
const DEFAULT_FLAVORS: NewFlavor[] = [
  { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 },
  { id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 },
  { id: '3', name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40 },
  { id: '42', name: 'm1.nano', vcpus: 1, ram: 256, disk: 1 },
  { id: '84', name: 'm1.micro', vcpus: 1, ram: 384, disk: 1 },
]

function recordOf(row: FlavorsTable, specs: Record<string, string>): FlavorRecord {
  return {
    id: row.id, name: row.name, vcpus: Number(row.vcpus), ram: Number(row.ram), disk: Number(row.disk), ephemeral: Number(row.ephemeral),
    swap: Number(row.swap), rxtxFactor: Number(row.rxtx_factor), isPublic: Boolean(row.is_public), disabled: Boolean(row.disabled),
    description: row.description, extraSpecs: specs,
  }
}

/** Loads flavors with their extra specs; `ids` null means all. */
export async function loadFlavors(db: Kysely<Database>, ids: string[] | null): Promise<FlavorRecord[]> {
  if (ids !== null && ids.length === 0) return []
  let rows = db.selectFrom('flavors').selectAll()
  let specRows = db.selectFrom('flavor_extra_specs').selectAll()
  if (ids !== null) {
    rows = rows.where('id', 'in', ids)
    specRows = specRows.where('flavor_id', 'in', ids)
  }
  const specs = new Map<string, Record<string, string>>()
  for (const s of await specRows.execute()) {
    const bag = specs.get(s.flavor_id) ?? {}
    bag[s.key] = s.value
    specs.set(s.flavor_id, bag)
  }
  return (await rows.execute()).map((row) => recordOf(row, specs.get(row.id) ?? {}))
}

/** Nova flavors: public and project-access flavors, extra specs, admin create/delete. */
export class FlavorService {
  readonly #deps: Store
  /** Flavor access lists and extra specs. */
  readonly access: FlavorAccessRules

  constructor(deps: Store) {
    this.#deps = deps
    this.access = new FlavorAccessRules(deps, (auth, id) => this.getFlavor(auth, id))
  }

  /** Whether the caller may see a flavor: admins all; others public ones or those shared with their project. */
  async #visible(auth: AuthContext, flavor: FlavorRecord): Promise<boolean> {
    if (auth.isAdmin || flavor.isPublic) return true
    if (!auth.projectId) return false
    const row = await this.#deps.db.selectFrom('flavor_projects').select('flavor_id')
      .where('flavor_id', '=', flavor.id).where('project_id', '=', auth.projectId).executeTakeFirst()
    return row !== undefined
  }

  /** A flavor the caller may use (public, or private with access, or admin); NotFound otherwise. */
  async getFlavor(auth: AuthContext, id: string): Promise<FlavorRecord> {
    const [flavor] = await loadFlavors(this.#deps.db, [id])
    if (!flavor || !(await this.#visible(auth, flavor))) throw new FlavorNotFound(id)
    return flavor
  }

  /** `GET /flavors[/detail]`: Nova's filters (non-admins see enabled public or shared flavors), sort and page. */
  async listFlavors(auth: AuthContext, query: FlavorListQuery): Promise<FlavorRecord[]> {
    authorize(auth, 'os_compute_api:flavors:index', 'reader')
    const all = await loadFlavors(this.#deps.db, null)
    const shared = new Set<string>()
    if (auth.projectId) {
      const rows = await this.#deps.db.selectFrom('flavor_projects').select('flavor_id').where('project_id', '=', auth.projectId).execute()
      for (const r of rows) shared.add(r.flavor_id)
    }
    const isPublic = auth.isAdmin ? (query.isPublic === undefined ? true : query.isPublic) : true
    let flavors = all.filter((f) => {
      if (!auth.isAdmin && f.disabled) return false
      if (isPublic === true && !(f.isPublic || shared.has(f.id))) return false
      if (isPublic === false && f.isPublic) return false
      if (query.minRam !== undefined && f.ram < query.minRam) return false
      if (query.minDisk !== undefined && f.disk < query.minDisk) return false
      return true
    })
    const sortKey = query.sortKey ?? 'flavorid'
    const key = Object.hasOwn(FLAVOR_SORT_KEYS, sortKey) ? FLAVOR_SORT_KEYS[sortKey]! : 'id'
    const direction = query.sortDir === 'desc' ? -1 : 1
    flavors.sort((a, b) => direction * compareValues(a[key], b[key]) || compareValues(a.id, b.id))
    if (query.marker !== undefined) {
      const index = flavors.findIndex((f) => f.id === query.marker)
      if (index < 0) throw new InvalidRequest(`marker [${query.marker}] not found`, ServiceErrorCode.MARKER_NOT_FOUND)
      flavors = flavors.slice(index + 1)
    }
    return query.limit !== undefined ? flavors.slice(0, query.limit) : flavors
  }

  /** Admin: creates a flavor; 409 when the name or id is taken. */
  async createFlavor(auth: AuthContext, input: NewFlavor): Promise<FlavorRecord> {
    authorize(auth, 'os_compute_api:os-flavor-manage:create', 'admin')
    return this.#insert(input)
  }

  async #insert(input: NewFlavor): Promise<FlavorRecord> {
    const name = input.name.trim()
    if (name === '') throw new InvalidRequest('Flavor names can only contain printable characters and horizontal spaces.')
    const id = input.id === undefined || input.id === null || input.id === '' ? randomUUID() : String(input.id)
    const db = this.#deps.db
    await db.transaction().execute(async (trx) => {
      await this.#insertRow(trx, id, name, input)
    }).catch((error: unknown) => {
      if (isUniqueViolation(error)) throw new FlavorExists(name)
      throw error
    })
    return (await loadFlavors(db, [id]))[0]!
  }

  async #insertRow(trx: Kysely<Database>, id: string, name: string, input: NewFlavor): Promise<void> {
    if (await trx.selectFrom('flavors').select('id').where('name', '=', name).executeTakeFirst()) {
      throw new FlavorExists(name)
    }
    if (await trx.selectFrom('flavors').select('id').where('id', '=', id).executeTakeFirst()) {
      throw new Conflict(`Flavor with ID ${id} already exists.`, ServiceErrorCode.FLAVOR_ID_EXISTS)
    }
    await trx.insertInto('flavors').values({
      id, name, vcpus: input.vcpus, ram: input.ram, disk: input.disk, ephemeral: input.ephemeral ?? 0, swap: input.swap ?? 0,
      rxtx_factor: input.rxtxFactor ?? 1, is_public: input.isPublic === false ? 0 : 1, disabled: 0,
      description: input.description ?? null, created_at: nowIso(),
    }).execute()
  }

  /** Admin: deletes a flavor (servers keep their copy of it). */
  async deleteFlavor(auth: AuthContext, id: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-flavor-manage:delete', 'admin')
    await this.#deps.db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('flavors').select('id').where('id', '=', id).executeTakeFirst()
      if (!found) throw new FlavorNotFound(id)
      await trx.deleteFrom('flavor_extra_specs').where('flavor_id', '=', id).execute()
      await trx.deleteFrom('flavor_projects').where('flavor_id', '=', id).execute()
      await trx.deleteFrom('flavors').where('id', '=', id).execute()
    })
  }

  /** Admin (2.55+): sets a flavor's description. */
  async updateFlavorDescription(auth: AuthContext, id: string, description: string | null): Promise<FlavorRecord> {
    authorize(auth, 'os_compute_api:os-flavor-manage:update', 'admin')
    const result = await this.#deps.db.updateTable('flavors').set({ description }).where('id', '=', id).executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) throw new FlavorNotFound(id)
    return (await loadFlavors(this.#deps.db, [id]))[0]!
  }

  /** Creates the default flavors on first start (idempotent): only those whose id and name are both free. */
  async ensureDefaultFlavors(): Promise<void> {
    const rows = await this.#deps.db.selectFrom('flavors').select(['id', 'name']).execute()
    for (const flavor of DEFAULT_FLAVORS) {
      if (rows.some((r) => r.id === flavor.id || r.name === flavor.name)) continue
      try {
        await this.#insert(flavor)
      } catch (error) {
        // Another process started at the same time and made it first.
        if (!(error instanceof Conflict)) throw error
      }
    }
  }
}
