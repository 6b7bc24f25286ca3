import fs from 'node:fs'
import SqliteDatabase from 'better-sqlite3'
import { migrations } from './migrations/index.js'

/** A backup or restore the operator must fix first; the message is one line. */
export class BackupError extends Error {
  override readonly name = 'BackupError'
}

/**
 * A consistent copy of a live SQLite database (SQLite's online backup API:
 * the server may go on writing meanwhile), written to a temporary file and
 * renamed into place so that `target` is never half written.
 */
export async function backupSqlite(source: string, target: string): Promise<{ bytes: number }> {
  if (!fs.existsSync(source)) throw new BackupError(`there is no database at ${source}`)
  const sqlite = new SqliteDatabase(source, { fileMustExist: true })
  const temp = `${target}.tmp-${process.pid}`
  try {
    sqlite.pragma('busy_timeout = 5000')
    await sqlite.backup(temp)
    // A self-contained file: no -wal or -shm needed beside it to read it.
    const copy = new SqliteDatabase(temp, { fileMustExist: true })
    try {
      copy.pragma('journal_mode = DELETE')
    } finally {
      copy.close()
    }
    fs.renameSync(temp, target)
  } catch (error) {
    fs.rmSync(temp, { force: true })
    throw error
  } finally {
    sqlite.close()
  }
  return { bytes: fs.statSync(target).size }
}

/**
 * Checks that `file` is an intact Lifeboat database this code can run:
 * `PRAGMA integrity_check` says ok, it has Lifeboat's tables, and none of its
 * migrations is unknown here. Returns how many migrations it has run.
 */
export function verifyLifeboatDatabase(file: string): { migrations: number } {
  if (!fs.existsSync(file)) throw new BackupError(`${file} does not exist`)
  let sqlite: SqliteDatabase.Database
  try {
    sqlite = new SqliteDatabase(file, { readonly: true, fileMustExist: true })
  } catch (error) {
    throw new BackupError(`${file} cannot be opened as an SQLite database: ${(error as Error).message}`)
  }
  try {
    let check: string
    try {
      check = (sqlite.pragma('integrity_check', { simple: true }) as string)
    } catch (error) {
      throw new BackupError(`${file} is not an SQLite database: ${(error as Error).message}`)
    }
    if (check !== 'ok') throw new BackupError(`${file} fails SQLite's integrity check: ${check}`)
    const tables = new Set((sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name))
    if (!tables.has('kysely_migration') || !tables.has('instances') || !tables.has('users')) throw new BackupError(`${file} is not a Lifeboat database`)
    const ran = (sqlite.prepare('SELECT name FROM kysely_migration').all() as Array<{ name: string }>).map((r) => r.name)
    const unknown = ran.filter((name) => !(name in migrations))
    if (unknown.length > 0) throw new BackupError(`${file} was written by a newer Lifeboat (migrations this version does not know: ${unknown.join(', ')})`)
    return { migrations: ran.length }
  } finally {
    sqlite.close()
  }
}

/**
 * Puts the backup `source` in place of the database `target` (the server
 * must be stopped). The database it replaces is kept beside it, its WAL
 * folded in first, as `<target>.before-restore-<time>`; returns that name.
 */
export function restoreSqlite(source: string, target: string): { previous: string | null } {
  verifyLifeboatDatabase(source)
  let previous: string | null = null
  if (fs.existsSync(target)) {
    const current = new SqliteDatabase(target, { fileMustExist: true })
    try {
      current.pragma('wal_checkpoint(TRUNCATE)')
      current.pragma('journal_mode = DELETE')
    } finally {
      current.close()
    }
    previous = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`
    fs.renameSync(target, previous)
  }
  for (const suffix of ['-wal', '-shm']) fs.rmSync(`${target}${suffix}`, { force: true })
  const temp = `${target}.tmp-${process.pid}`
  try {
    fs.copyFileSync(source, temp)
    fs.renameSync(temp, target)
  } catch (error) {
    fs.rmSync(temp, { force: true })
    if (previous && !fs.existsSync(target)) fs.renameSync(previous, target)
    throw error
  }
  return { previous }
}
