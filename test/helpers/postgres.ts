import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server the PostgreSQL tests create their databases on (see .ci/start-postgres). */
export const POSTGRES_ADMIN_URL = process.env.LIFEBOAT_TEST_POSTGRES_URL ?? 'postgres://lifeboat:lifeboat@127.0.0.1:5432/postgres'

async function probeOnce(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

// A busy machine (two test files starting their clouds) can make one connect slow: ask three times.
async function probe(): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) if (await probeOnce()) return true
  return false
}

/** Whether a PostgreSQL server answers at POSTGRES_ADMIN_URL. */
export const POSTGRES_AVAILABLE = await probe()

/** A fresh, empty database for one test app, and a way to drop it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `lifeboat_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(POSTGRES_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      // Best effort: an autovacuum worker may hold the fresh database for a moment, and a non-superuser cannot
      // terminate it (DROP … WITH (FORCE) then fails), so retry briefly and leave the database behind if need be.
      for (let attempt = 0; attempt < 10; attempt++) {
        const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
        try {
          await client.connect()
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
          return
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200))
        } finally {
          await client.end().catch(() => undefined)
        }
      }
    },
  }
}
