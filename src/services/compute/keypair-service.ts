import type { ServiceDeps } from '../service-deps.js'

/** A keypair as servers use it. */
export interface KeypairRecord {
  name: string
  userId: string
  type: 'ssh' | 'x509'
  publicKey: string
  fingerprint: string
  createdAt: string
}

/** Nova keypairs: per user, generated (private key returned once) or imported. */
export class KeypairService {
  readonly #deps: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.#deps = deps
  }

  /** The user's keypair by name; null when absent. */
  async findKeypair(userId: string, name: string): Promise<KeypairRecord | null> {
    void userId
    void name
    void this.#deps
    throw new Error('not implemented')
  }
}
