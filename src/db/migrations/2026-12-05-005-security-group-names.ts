import { SqliteAdapter, sql, type Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Neutron lets a project have several security groups of one name; only
// `default` is one per project. The compute migration's unique constraint on
// (project_id, name) goes; a partial unique index keeps one `default` per
// project (the race of two first requests creating it), and a plain index
// serves the lookups by name. PostgreSQL drops the constraint; SQLite cannot
// drop a table constraint, so the table is rebuilt (SQLite's documented
// procedure: foreign keys off, new table, copy, drop, rename, check, on).

const CONSTRAINT = /,\s*constraint\s+"security_groups_project_name"\s+unique\s*\(\s*"project_id"\s*,\s*"name"\s*\)/i

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function isSqlite(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function rebuildSqlite(db: Kysely<any>, rewrite: (createSql: string) => string): Promise<void> {
  const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'security_groups'`.execute(db)
  const createSql = rows[0]?.sql
  if (!createSql) throw new Error('security_groups table not found')
  const rebuilt = rewrite(createSql).replace(/^\s*create\s+table\s+"?security_groups"?/i, 'CREATE TABLE "security_groups_new"')
  // Outside a transaction (Kysely runs SQLite migrations without one): inside, the pragma would be ignored and
  // dropping the old table would cascade to the rules.
  await sql`PRAGMA foreign_keys = OFF`.execute(db)
  try {
    await sql`BEGIN`.execute(db)
    try {
      await sql.raw(rebuilt).execute(db)
      await sql`INSERT INTO security_groups_new SELECT * FROM security_groups`.execute(db)
      await sql`DROP TABLE security_groups`.execute(db)
      await sql`ALTER TABLE security_groups_new RENAME TO security_groups`.execute(db)
      const broken = await sql`PRAGMA foreign_key_check`.execute(db)
      if (broken.rows.length > 0) throw new Error('foreign key check failed after rebuilding security_groups')
      await sql`COMMIT`.execute(db)
    } catch (error) {
      await sql`ROLLBACK`.execute(db)
      throw error
    }
  } finally {
    await sql`PRAGMA foreign_keys = ON`.execute(db)
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  if (isSqlite(db)) {
    await rebuildSqlite(db, (createSql) => {
      if (!CONSTRAINT.test(createSql)) throw new Error('security_groups has no (project_id, name) constraint to drop')
      return createSql.replace(CONSTRAINT, '')
    })
  } else {
    await db.schema.alterTable('security_groups').dropConstraint('security_groups_project_name').execute()
  }
  await db.schema.createIndex('security_groups_project_name').on('security_groups').columns(['project_id', 'name']).execute()
  await db.schema.createIndex('security_groups_one_default').on('security_groups').column('project_id').unique()
    .where(sql.ref('name'), '=', 'default').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('security_groups_one_default').execute()
  await db.schema.dropIndex('security_groups_project_name').execute()
  // Fails while a project has two groups of one name, as it must.
  if (isSqlite(db)) {
    await rebuildSqlite(db, (createSql) => createSql.replace(/\)\s*$/, ', constraint "security_groups_project_name" unique ("project_id", "name"))'))
  } else {
    await db.schema.alterTable('security_groups').addUniqueConstraint('security_groups_project_name', ['project_id', 'name']).execute()
  }
}
