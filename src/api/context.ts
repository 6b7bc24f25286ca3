import type { LifeboatConfig } from '../config.js'
import type { Services } from '../services/services.js'

/** What every API plugin is given: configuration and the services (never the database: the services own it). */
export interface ApiContext {
  readonly config: LifeboatConfig
  readonly services: Services
  /** The base URL clients reach us at, e.g. `http://127.0.0.1:8774` (known after listen). */
  publicUrl(): string
  /**
   * The port the console proxy listens on (known after listen), null when no
   * proxy runs; console URLs are built from it and the host the client used.
   */
  consoleProxyPort(): number | null
  /**
   * Settles once the cloud can serve (the all-in-one's embedded agent has registered): client requests
   * that arrive earlier wait for it instead of failing with "No valid host"; the agent API never waits.
   */
  readonly ready?: Promise<void>
}
