import type { Migration, MigrationProvider } from 'kysely'
import * as identity from './2026-11-25-001-identity.js'

/**
 * Every migration, by name; names sort in the order they run. A landed
 * migration never changes: add a new one.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-25-001-identity': identity,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
