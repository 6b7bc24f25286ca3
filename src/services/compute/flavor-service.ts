import type { ServiceDeps } from '../service-deps.js'
import type { AuthContext } from '../identity/auth-context.js'

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

/** Nova flavors: public and project-access flavors, extra specs, admin create/delete. */
export class FlavorService {
  readonly #deps: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.#deps = deps
  }

  /** A flavor the caller may use (public, or private with access, or admin); NotFound otherwise. */
  async getFlavor(auth: AuthContext, id: string): Promise<FlavorRecord> {
    void auth
    void id
    void this.#deps
    throw new Error('not implemented')
  }

  /** Creates the default flavors on first start (idempotent). */
  async ensureDefaultFlavors(): Promise<void> {
    throw new Error('not implemented')
  }
}
