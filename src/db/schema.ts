import type { Kysely, Transaction } from 'kysely'
import type { IdentityTables } from './tables/identity-tables.js'
import type { ImageTables } from './tables/image-tables.js'
import type { VolumeTables } from './tables/volume-tables.js'
import type { PlacementTables } from './tables/placement-tables.js'
import type { ComputeTables } from './tables/compute-tables.js'
import type { QuotaTables } from './tables/quota-tables.js'
import type { NetworkTables } from './tables/network-tables.js'
import type { ServerGroupTables } from './tables/server-group-tables.js'
import type { ConsoleTables } from './tables/console-tables.js'
import type { MigrationTables } from './tables/migration-tables.js'
import type { AggregateTables } from './tables/aggregate-tables.js'
import type { RescueRunTables } from './tables/rescue-run-tables.js'

/**
 * The whole database as Kysely sees it: one table interface per service,
 * each in `tables/<service>-tables.ts`.
 */
export interface Database extends IdentityTables, ImageTables, VolumeTables, PlacementTables, ComputeTables, QuotaTables,
  NetworkTables, ServerGroupTables, ConsoleTables, MigrationTables, AggregateTables, RescueRunTables {}

/**
 * A database handle or an open transaction: what store functions take, so one
 * function serves both inside and outside `db.transaction()`.
 */
export type Db = Kysely<Database> | Transaction<Database>
