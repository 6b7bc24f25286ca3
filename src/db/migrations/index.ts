import type { Migration, MigrationProvider } from 'kysely'
import * as identity from './2026-11-25-001-identity.js'
import * as image from './2026-11-25-002-image.js'
import * as volume from './2026-11-25-003-volume.js'
import * as placement from './2026-11-25-004-placement.js'
import * as compute from './2026-11-25-005-compute.js'
import * as performanceIndexes from './2026-11-25-006-performance-indexes.js'
import * as changesSinceIndex from './2026-11-25-007-changes-since-index.js'
import * as quotas from './2026-12-04-001-quotas.js'
import * as network from './2026-12-05-001-network.js'
import * as securityGroups from './2026-12-05-002-security-groups.js'
import * as serverGroups from './2026-12-05-003-server-groups.js'
import * as userQuotas from './2026-12-05-004-user-quotas.js'
import * as securityGroupNames from './2026-12-05-005-security-group-names.js'
import * as consoleAuthTokens from './2026-12-06-001-console-auth-tokens.js'
import * as migrationsTable from './2026-12-07-001-migrations.js'
import * as aggregates from './2026-12-07-020-aggregates.js'
import * as computeHostIp from './2026-12-07-040-compute-host-ip.js'
import * as rescueRuns from './2026-12-07-040-rescue-runs.js'
import * as rescueRunIndexes from './2026-12-07-130-rescue-run-indexes.js'

/**
 * Every migration, by name; names sort in the order they run. A landed
 * migration never changes: add a new one.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-25-001-identity': identity,
  '2026-11-25-002-image': image,
  '2026-11-25-003-volume': volume,
  '2026-11-25-004-placement': placement,
  '2026-11-25-005-compute': compute,
  '2026-11-25-006-performance-indexes': performanceIndexes,
  '2026-11-25-007-changes-since-index': changesSinceIndex,
  '2026-12-04-001-quotas': quotas,
  '2026-12-05-001-network': network,
  '2026-12-05-002-security-groups': securityGroups,
  '2026-12-05-003-server-groups': serverGroups,
  '2026-12-05-004-user-quotas': userQuotas,
  '2026-12-05-005-security-group-names': securityGroupNames,
  '2026-12-06-001-console-auth-tokens': consoleAuthTokens,
  '2026-12-07-001-migrations': migrationsTable,
  '2026-12-07-020-aggregates': aggregates,
  '2026-12-07-040-compute-host-ip': computeHostIp,
  '2026-12-07-040-rescue-runs': rescueRuns,
  '2026-12-07-130-rescue-run-indexes': rescueRunIndexes,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
