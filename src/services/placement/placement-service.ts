import type { Store } from '../store.js'
import type { Db } from '../../db/schema.js'
import type { InventoryFields, ProviderRow } from './db-types.js'
import { withInventoryDefaults } from './db-types.js'
import { seedStandardNames } from './seed.js'
import * as providers from './providers.js'
import * as inventories from './inventories.js'
import * as traits from './traits.js'
import * as allocations from './allocations.js'
import * as usages from './usages.js'
import { findCandidates, type CandidateRequest, type CandidateResult } from './candidates.js'
import { filterProviders, loadProviders, type ProviderDetails, type ProviderFilter } from './provider-snapshot.js'
import { reshape, type ReshapeRequest } from './reshaper.js'
import { CapacityExceeded, ConcurrentUpdate } from './placement-errors.js'
import { assertResourceClassesExist, assertTraitsExist } from './names.js'
import { InvalidRequest } from '../errors.js'
import { summaryCapacity } from './capacity.js'

/** Resource amounts by class, e.g. `{ VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 }`. */
export type Resources = Record<string, number>

export interface InventoryRecord {
  total: number
  reserved: number
  min_unit: number
  max_unit: number
  step_size: number
  allocation_ratio: number
}

/** One candidate host for a request: the provider and what it would allocate. */
export interface AllocationCandidate {
  providerUuid: string
  providerName: string
  allocations: Resources
  traits: string[]
}

/** A candidate with its provider summary: what the scheduler's weighers read. */
export interface HostCandidate {
  providerUuid: string
  allocations: Resources
  /** Resource class → capacity ((total − reserved) × allocation_ratio, as the summaries print it) and used. */
  summary: Record<string, { capacity: number; used: number }>
}

export type { CandidateRequest, CandidateResult, ProviderDetails, ProviderFilter, ReshapeRequest, ProviderRow, InventoryFields }
export type { ConsumerAllocations, ConsumerView } from './allocations.js'
export type { RequestGroup } from './candidates.js'
export type { TraitFilter } from './traits.js'

const CLAIM_ATTEMPTS = 5

/**
 * Placement: resource providers, inventories, traits, allocations and
 * candidates. The scheduler and the compute agent use the contract methods
 * (ensureResourceProvider … deleteAllocations); the API routes use the rest.
 * The standard resource classes and traits are seeded before first use.
 */
export class PlacementService {
  readonly #deps: Store
  #seeded: Promise<void> | undefined
  /** The standard names are in the database (seeded by this process). */
  #seededOk = false

  constructor(deps: Store) {
    this.#deps = deps
  }

  /** The database, once the standard names are in it. */
  async #db(): Promise<Db> {
    this.#seeded ??= seedStandardNames(this.#deps.db).catch((error: unknown) => {
      this.#seeded = undefined
      throw error
    })
    await this.#seeded
    this.#seededOk = true
    return this.#deps.db
  }

  /** Creates the provider unless it exists (by uuid); returns its generation. */
  async ensureResourceProvider(uuid: string, name: string): Promise<number> {
    const db = await this.#db()
    const existing = await db.selectFrom('placement_resource_providers').select('generation').where('uuid', '=', uuid).executeTakeFirst()
    if (existing) return existing.generation
    try {
      return (await providers.createProvider(db, { uuid, name })).generation
    } catch (error) {
      const raced = await db.selectFrom('placement_resource_providers').select('generation').where('uuid', '=', uuid).executeTakeFirst()
      if (raced) return raced.generation
      throw error
    }
  }

  /** Replaces the provider's inventories (as a compute host reports them). */
  async setInventories(uuid: string, wanted: Record<string, Partial<InventoryRecord> & { total: number }>): Promise<void> {
    const db = await this.#db()
    const full = Object.fromEntries(Object.entries(wanted).map(([rc, inv]) => [rc, withInventoryDefaults(inv)]))
    await inventories.setInventories(db, uuid, full, undefined, true)
  }

  /** Replaces the provider's traits; standard traits must be known, `CUSTOM_*` are created. */
  async setTraits(uuid: string, wanted: string[]): Promise<void> {
    const db = await this.#db()
    for (const name of wanted) {
      if (name.startsWith('CUSTOM_')) await traits.ensureTrait(db, name)
    }
    await traits.setProviderTraits(db, uuid, wanted)
  }

  /** The provider's traits; NotFound when there is no such provider. */
  async getTraits(uuid: string): Promise<string[]> {
    return (await traits.getProviderTraits(await this.#db(), uuid)).traits
  }

  /** Providers that can take `resources` and have every trait in `required`. */
  async getAllocationCandidates(request: { resources: Resources; required?: string[]; forbidden?: string[]; limit?: number }): Promise<AllocationCandidate[]> {
    const result = await findCandidates(await this.#db(), {
      groups: [{
        suffix: '', resources: request.resources, requiredTraits: (request.required ?? []).map((t) => [t]),
        forbiddenTraits: request.forbidden ?? [], memberOf: [], forbiddenAggregates: [],
      }],
      limit: request.limit,
    }, false)
    return result.matches.map((m) => ({
      providerUuid: m.provider.row.uuid, providerName: m.provider.row.name, allocations: m.allocations, traits: [...m.provider.traits].sort(),
    }))
  }

  /**
   * The scheduler's one placement query: single-provider candidates for
   * `resources` with the traits, in one of the aggregates of each `memberOf`
   * list (1.21 `member_of=in:`), each with its provider summary.
   */
  async getHostCandidates(request: { resources: Resources; required?: string[]; forbidden?: string[]; memberOf?: string[][]; limit?: number }): Promise<HostCandidate[]> {
    const result = await findCandidates(await this.#db(), {
      groups: [{
        suffix: '', resources: request.resources, requiredTraits: (request.required ?? []).map((t) => [t]),
        forbiddenTraits: request.forbidden ?? [], memberOf: request.memberOf ?? [], forbiddenAggregates: [],
      }],
      limit: request.limit,
    }, false)
    return result.matches.map((m) => ({
      providerUuid: m.provider.row.uuid,
      allocations: m.allocations,
      summary: Object.fromEntries([...m.provider.inventories].map(([rc, inv]) => [rc, { capacity: summaryCapacity(inv), used: m.provider.usages.get(rc) ?? 0 }])),
    }))
  }

  /**
   * Claims resources for a consumer on one provider; false when capacity ran
   * out meanwhile (a concurrent claim won), true on success.
   */
  async claimAllocation(consumerUuid: string, providerUuid: string, resources: Resources, projectId: string, userId: string): Promise<boolean> {
    const db = await this.#db()
    for (let attempt = 1; ; attempt++) {
      try {
        await allocations.replaceAllocations(db, [{ consumerUuid, allocations: { [providerUuid]: resources }, projectId, userId }], {
          unknownClassPrefix: (c) => `Unable to allocate inventory for consumer ${c}: `,
        })
        return true
      } catch (error) {
        if (error instanceof CapacityExceeded) return false
        // Two first claims for one consumer race on its row: retry against the winner's state.
        if (error instanceof ConcurrentUpdate && attempt < CLAIM_ATTEMPTS) continue
        throw error
      }
    }
  }

  /** A consumer's allocations read inside the caller's transaction: provider uuid → class → amount. */
  async allocationsIn(db: Db, consumerUuid: string): Promise<Record<string, Record<string, number>>> {
    const rows = await db.selectFrom('placement_allocations').select(['provider_uuid', 'resource_class', 'used']).where('consumer_uuid', '=', consumerUuid).execute()
    const out: Record<string, Record<string, number>> = {}
    for (const row of rows) (out[row.provider_uuid] ??= {})[row.resource_class] = row.used
    return out
  }

  /**
   * Rewrites consumers' allocations inside the caller's transaction (a
   * resize moves the old flavor's to its migration and claims the new one
   * for the instance): false, with nothing written, when they do not fit.
   */
  async replaceAllocationsIn(db: Db, requests: allocations.ConsumerAllocations[]): Promise<boolean> {
    // Seeded through the caller's transaction when this process has not seeded yet (a restarted control plane whose first
    // placement write is a live migration's step): on SQLite the service's own connection is the one that transaction holds.
    if (!this.#seededOk) await seedStandardNames(db)
    try {
      await allocations.writeAllocationsIn(db, requests, { unknownClassPrefix: (c) => `Unable to allocate inventory for consumer ${c}: ` })
      return true
    } catch (error) {
      if (error instanceof CapacityExceeded) return false
      throw error
    }
  }

  /** Frees everything a consumer holds (no error when it holds nothing). */
  async deleteAllocations(consumerUuid: string): Promise<void> {
    await allocations.deleteConsumerAllocations(await this.#db(), consumerUuid, false)
  }

  // ---- the API's verbs ----

  /** `GET /resource_providers`: 400 for unknown classes or traits in the filter. */
  async listProviders(filter: ProviderFilter): Promise<ProviderRow[]> {
    const db = await this.#db()
    await assertResourceClassesExist(db, Object.keys(filter.resources ?? {}), 'Invalid resource class in resources parameter: ')
    await assertTraitsExist(db, [...(filter.requiredTraits ?? []).flat(), ...(filter.forbiddenTraits ?? [])], 'Invalid trait(s) in "required" parameter: ')
    return filterProviders(await loadProviders(db), filter).map((p) => p.row)
  }

  async getProvider(uuid: string): Promise<ProviderRow> {
    return providers.getProvider(await this.#db(), uuid)
  }

  async createProvider(input: { name: string; uuid?: string; parentProviderUuid?: string | null }): Promise<ProviderRow> {
    return providers.createProvider(await this.#db(), input)
  }

  async updateProvider(uuid: string, input: { name: string; parentProviderUuid?: string | null }, allowReparenting: boolean): Promise<ProviderRow> {
    return providers.updateProvider(await this.#db(), uuid, input, allowReparenting)
  }

  async deleteProvider(uuid: string): Promise<void> {
    await providers.deleteProvider(await this.#db(), uuid)
  }

  async getAggregates(uuid: string): Promise<{ generation: number; aggregates: string[] }> {
    return providers.getAggregates(await this.#db(), uuid)
  }

  async setAggregates(uuid: string, aggregates: string[], expectedGeneration?: number): Promise<{ generation: number; aggregates: string[] }> {
    return providers.setAggregates(await this.#db(), uuid, aggregates, expectedGeneration)
  }

  async getInventories(uuid: string): Promise<inventories.ProviderInventories> {
    return inventories.getInventories(await this.#db(), uuid)
  }

  async putInventories(uuid: string, wanted: Record<string, InventoryFields>, generation: number, allowReservedEqualTotal: boolean): Promise<inventories.ProviderInventories> {
    return inventories.setInventories(await this.#db(), uuid, wanted, generation, allowReservedEqualTotal)
  }

  async deleteInventories(uuid: string): Promise<void> {
    await inventories.deleteAllInventories(await this.#db(), uuid)
  }

  async createInventory(uuid: string, rc: string, inv: InventoryFields, allowReservedEqualTotal: boolean): Promise<number> {
    return inventories.createInventory(await this.#db(), uuid, rc, inv, allowReservedEqualTotal)
  }

  async updateInventory(uuid: string, rc: string, inv: InventoryFields, generation: number, allowReservedEqualTotal: boolean): Promise<number> {
    return inventories.updateInventory(await this.#db(), uuid, rc, inv, generation, allowReservedEqualTotal)
  }

  async deleteInventory(uuid: string, rc: string): Promise<void> {
    await inventories.deleteInventory(await this.#db(), uuid, rc)
  }

  async listResourceClasses(): Promise<string[]> {
    return traits.listResourceClasses(await this.#db())
  }

  async resourceClassExists(name: string): Promise<boolean> {
    return traits.resourceClassExists(await this.#db(), name)
  }

  /** Creates a CUSTOM_ class; true when new. */
  async ensureResourceClass(name: string): Promise<boolean> {
    return traits.ensureResourceClass(await this.#db(), name)
  }

  async renameResourceClass(name: string, newName: string): Promise<void> {
    await traits.renameResourceClass(await this.#db(), name, newName)
  }

  async deleteResourceClass(name: string): Promise<void> {
    await traits.deleteResourceClass(await this.#db(), name)
  }

  async listTraits(filter: traits.TraitFilter): Promise<string[]> {
    return traits.listTraits(await this.#db(), filter)
  }

  async traitExists(name: string): Promise<boolean> {
    return traits.traitExists(await this.#db(), name)
  }

  /** Creates a CUSTOM_ trait; true when new. */
  async ensureTrait(name: string): Promise<boolean> {
    if (!name.startsWith('CUSTOM_')) throw new InvalidRequest('The trait is invalid.')
    return traits.ensureTrait(await this.#db(), name)
  }

  async deleteTrait(name: string): Promise<void> {
    await traits.deleteTrait(await this.#db(), name)
  }

  async getProviderTraits(uuid: string): Promise<{ generation: number; traits: string[] }> {
    return traits.getProviderTraits(await this.#db(), uuid)
  }

  async putProviderTraits(uuid: string, wanted: string[], generation: number): Promise<{ generation: number; traits: string[] }> {
    return traits.setProviderTraits(await this.#db(), uuid, wanted, generation)
  }

  async deleteProviderTraits(uuid: string): Promise<void> {
    await traits.setProviderTraits(await this.#db(), uuid, [])
  }

  async getConsumerAllocations(consumerUuid: string): Promise<allocations.ConsumerView> {
    return allocations.getConsumerAllocations(await this.#db(), consumerUuid)
  }

  async getProviderAllocations(uuid: string): Promise<{ generation: number; allocations: Awaited<ReturnType<typeof allocations.getProviderAllocations>> }> {
    const db = await this.#db()
    const provider = await providers.getProvider(db, uuid)
    return { generation: provider.generation, allocations: await allocations.getProviderAllocations(db, uuid) }
  }

  /** `PUT /allocations/{c}` and `POST /allocations`: all or nothing. */
  async replaceAllocations(requests: allocations.ConsumerAllocations[], unknownClassPrefix: (consumerUuid: string) => string): Promise<void> {
    await allocations.replaceAllocations(await this.#db(), requests, { unknownClassPrefix })
  }

  async deleteConsumerAllocations(consumerUuid: string): Promise<void> {
    await allocations.deleteConsumerAllocations(await this.#db(), consumerUuid, true)
  }

  async getProviderUsages(uuid: string): Promise<{ generation: number; usages: Record<string, number> }> {
    return usages.getProviderUsages(await this.#db(), uuid)
  }

  async getTotalUsages(projectId: string, userId?: string): Promise<Record<string, number>> {
    return usages.getTotalUsages(await this.#db(), projectId, userId)
  }

  async getUsagesByConsumerType(projectId: string, userId?: string, consumerType?: string): Promise<Record<string, Record<string, number>>> {
    return usages.getUsagesByConsumerType(await this.#db(), projectId, userId, consumerType)
  }

  /** `GET /allocation_candidates`; `wholeTrees` (1.29+) summarises every provider of a candidate's tree. */
  async findCandidates(request: CandidateRequest, wholeTrees: boolean): Promise<CandidateResult> {
    return findCandidates(await this.#db(), request, wholeTrees)
  }

  async reshape(request: ReshapeRequest): Promise<void> {
    await reshape(await this.#db(), request)
  }
}
