import type { IdentityTables } from './tables/identity-tables.js'

/**
 * The whole database as Kysely sees it: one table interface per service,
 * each in `tables/<service>-tables.ts`.
 */
export interface Database extends IdentityTables {}
