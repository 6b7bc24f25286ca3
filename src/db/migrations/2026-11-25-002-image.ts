import type { Kysely } from 'kysely'

// Migrations are frozen in time: they take Kysely<any> and import no app code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('images')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)')
    .addColumn('status', 'varchar(30)', (c) => c.notNull())
    .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
    .addColumn('owner', 'varchar(255)', (c) => c.notNull())
    .addColumn('disk_format', 'varchar(20)')
    .addColumn('container_format', 'varchar(20)')
    .addColumn('size', 'bigint')
    .addColumn('virtual_size', 'bigint')
    .addColumn('min_disk', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('min_ram', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('os_hidden', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('checksum', 'varchar(32)')
    .addColumn('os_hash_algo', 'varchar(64)')
    .addColumn('os_hash_value', 'varchar(128)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('images_owner').on('images').column('owner').execute()
  await db.schema.createIndex('images_visibility').on('images').column('visibility').execute()

  await db.schema
    .createTable('image_properties')
    .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'name'])
    .execute()

  await db.schema
    .createTable('image_tags')
    .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('value', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_tags_pk', ['image_id', 'value'])
    .execute()

  await db.schema
    .createTable('image_members')
    .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('member', 'varchar(255)', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_members_pk', ['image_id', 'member'])
    .execute()
  await db.schema.createIndex('image_members_member').on('image_members').column('member').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['image_members', 'image_tags', 'image_properties', 'images']) {
    await db.schema.dropTable(table).execute()
  }
}
