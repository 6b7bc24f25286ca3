import type { Kysely } from 'kysely'
import type { LifeboatConfig } from '../config.js'
import type { Database } from '../db/schema.js'

/** The database, for services and modules that need nothing else. */
export interface Store {
  readonly db: Kysely<Database>
}

/** The database and the configuration. */
export interface ConfiguredStore extends Store {
  readonly config: LifeboatConfig
}
