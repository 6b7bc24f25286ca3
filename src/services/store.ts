import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { LifeboatConfig } from '../config.js'
import type { Database } from '../db/schema.js'

/** The database and the service's logger, for services and modules that need nothing else. */
export interface Store {
  readonly db: Kysely<Database>
  /** The service's logger: a child with its `component`. */
  readonly log: Logger
}

/** The database and the configuration. */
export interface ConfiguredStore extends Store {
  readonly config: LifeboatConfig
}
