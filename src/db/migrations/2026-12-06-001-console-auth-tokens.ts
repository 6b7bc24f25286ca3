import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Nova's console_auth_tokens: a console URL's token, stored only as its
// SHA-256, bound to one instance and one console type, valid until
// `expires_at` (Nova's [consoleauth] token_ttl, 600 s by default).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('console_auth_tokens')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('console_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('access_url_base', 'varchar(2048)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('console_auth_tokens_instance_idx').on('console_auth_tokens').column('instance_uuid').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('console_auth_tokens').execute()
}
