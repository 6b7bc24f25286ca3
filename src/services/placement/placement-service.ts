import type { ServiceDeps } from '../service-deps.js'

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

/** Placement: resource providers, inventories, traits, allocations and candidates. */
export class PlacementService {
  readonly #deps: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.#deps = deps
  }

  /** Creates the provider unless it exists (by uuid); returns its generation. */
  async ensureResourceProvider(uuid: string, name: string): Promise<number> {
    void uuid
    void name
    void this.#deps
    throw new Error('not implemented')
  }

  /** Replaces the provider's inventories (as a compute host reports them). */
  async setInventories(uuid: string, inventories: Record<string, Partial<InventoryRecord> & { total: number }>): Promise<void> {
    void uuid
    void inventories
    throw new Error('not implemented')
  }

  /** Replaces the provider's traits; standard traits must be known, `CUSTOM_*` are created. */
  async setTraits(uuid: string, traits: string[]): Promise<void> {
    void uuid
    void traits
    throw new Error('not implemented')
  }

  /** The provider's traits; NotFound when there is no such provider. */
  async getTraits(uuid: string): Promise<string[]> {
    void uuid
    throw new Error('not implemented')
  }

  /** Providers that can take `resources` and have every trait in `required`. */
  async getAllocationCandidates(request: { resources: Resources; required?: string[]; forbidden?: string[]; limit?: number }): Promise<AllocationCandidate[]> {
    void request
    throw new Error('not implemented')
  }

  /**
   * Claims resources for a consumer on one provider; false when capacity ran
   * out meanwhile (a concurrent claim won), true on success.
   */
  async claimAllocation(consumerUuid: string, providerUuid: string, resources: Resources, projectId: string, userId: string): Promise<boolean> {
    void consumerUuid
    void providerUuid
    void resources
    void projectId
    void userId
    throw new Error('not implemented')
  }

  /** Frees everything a consumer holds (no error when it holds nothing). */
  async deleteAllocations(consumerUuid: string): Promise<void> {
    void consumerUuid
    throw new Error('not implemented')
  }
}
