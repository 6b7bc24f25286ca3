import type { LifeboatConfig } from '../config.js'
import type { DatabaseHandle } from '../db/database.js'
import { IdentityDirectory } from './identity/directory.js'
import { TokenService } from './identity/tokens.js'

/** Every service of the control plane, built once per process over one database. */
export interface Services {
  tokens: TokenService
  directory: IdentityDirectory
}

/** Wires the services together over the database. */
export function createServices(config: LifeboatConfig, database: DatabaseHandle): Services {
  const tokens = new TokenService(database.db, config.tokenTtlSeconds)
  const directory = new IdentityDirectory(database.db, () => tokens.invalidateCache())
  return { tokens, directory }
}
