import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { LifeboatConfig } from '../config.js'
import type { Database } from '../db/schema.js'
import type { DialectName } from '../db/database.js'
import type { Services } from './services.js'

/** What each service is built with; `services()` reaches the others lazily. */
export interface ServiceDeps {
  readonly config: LifeboatConfig
  readonly db: Kysely<Database>
  readonly dialect: DialectName
  /** This service's logger (a child with its `component`). */
  readonly log: Logger
  services(): Services
}
