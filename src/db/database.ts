import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import type pgModule from 'pg'
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely'
import type { Database } from './schema.js'
import { migrationProvider } from './migrations/index.js'

export type DialectName = 'sqlite' | 'postgres'

/** An open database: the Kysely handle and which dialect it speaks. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>
  readonly dialect: DialectName
  close(): Promise<void>
}

let pgLoaded: typeof pgModule | null = null

/** The pg driver, loaded on first use: a SQLite all-in-one never carries it (~8 MiB). */
function pg(): typeof pgModule {
  if (pgLoaded) return pgLoaded
  pgLoaded = createRequire(import.meta.url)('pg') as typeof pgModule
  // int8 (bigint) and numeric arrive as strings from pg; our sizes fit in a double.
  pgLoaded.types.setTypeParser(20, (value) => Number(value))
  pgLoaded.types.setTypeParser(1700, (value) => Number(value))
  return pgLoaded
}

/** True when the URL names a PostgreSQL server rather than an SQLite file. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url)
}

/** The file of an SQLite database URL (`sqlite:/abs/path.db` or a bare path). */
export function sqlitePath(url: string): string {
  return url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : url
}

const STATEMENT_CACHE_SIZE = 500

/**
 * Kysely prepares every statement anew; preparing costs far more than running
 * our small queries, so reuse statements by SQL text (least recently used out).
 * A cached statement is only ever used by one query at a time: better-sqlite3
 * runs synchronously, and Kysely's SQLite driver never iterates two at once.
 */
function cachePreparedStatements(sqlite: SqliteDatabase.Database, max: number): void {
  const prepare = sqlite.prepare.bind(sqlite)
  const cache = new Map<string, SqliteDatabase.Statement>()
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source)
    if (statement) {
      cache.delete(source)
    } else {
      statement = prepare(source)
      if (cache.size >= max) cache.delete(cache.keys().next().value!)
    }
    cache.set(source, statement)
    return statement
  }) as typeof sqlite.prepare
}

/** Opens (and for SQLite creates) the database named by `url`. Does not migrate. */
export function openDatabase(url: string): DatabaseHandle {
  if (isPostgresUrl(url)) {
    const pool = new (pg().Pool)({ connectionString: url, max: 10 })
    // An idle pooled connection that the server ends (a restart, an administrator's terminate) emits
    // 'error' on the pool, which would crash the process without a listener; the pool already drops
    // that client and the next query opens a fresh connection.
    pool.on('error', () => undefined)
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    return { db, dialect: 'postgres', close: () => db.destroy() }
  }
  const file = sqlitePath(url)
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true })
  const sqlite = new SqliteDatabase(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('synchronous = NORMAL')
  cachePreparedStatements(sqlite, STATEMENT_CACHE_SIZE)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
  return { db, dialect: 'sqlite', close: () => db.destroy() }
}

/** Applies every pending migration in order; refuses out-of-order histories. Returns the names it applied. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider })
  const { error, results } = await migrator.migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed`, { cause: error })
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/**
 * Migrations the database has run that this code does not know: a newer
 * Lifeboat used it. Empty for a new database or one this code can migrate.
 */
export async function unknownMigrations(db: Kysely<Database>): Promise<string[]> {
  let ran: string[]
  try {
    // Kysely's own bookkeeping table, absent from the typed schema.
    const rows = await (db as unknown as Kysely<{ kysely_migration: { name: string } }>).selectFrom('kysely_migration').select('name').execute()
    ran = rows.map((r) => r.name)
  } catch (error) {
    // No such table: a database no Lifeboat has migrated yet (SQLite's message, PostgreSQL's 42P01).
    if ((error as { code?: string }).code === '42P01' || /no such table/.test(String((error as Error).message))) return []
    throw error
  }
  const known = new Set(Object.keys(await migrationProvider.getMigrations()))
  return ran.filter((name) => !known.has(name)).sort()
}
