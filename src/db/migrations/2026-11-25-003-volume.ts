import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('volumes')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)')
    .addColumn('description', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('status', 'varchar(32)', (c) => c.notNull())
    .addColumn('attach_status', 'varchar(32)', (c) => c.notNull().defaultTo('detached'))
    .addColumn('bootable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('availability_zone', 'varchar(255)', (c) => c.notNull())
    .addColumn('snapshot_id', 'varchar(64)')
    .addColumn('source_volid', 'varchar(64)')
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('image_metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('backing_path', 'text', (c) => c.notNull())
    .addColumn('backing_format', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('volumes_project_id').on('volumes').column('project_id').execute()

  await db.schema
    .createTable('volume_attachments')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('volume_id', 'varchar(64)', (c) => c.notNull().references('volumes.id').onDelete('cascade'))
    .addColumn('instance_uuid', 'varchar(64)')
    .addColumn('status', 'varchar(32)', (c) => c.notNull())
    .addColumn('attach_mode', 'varchar(8)', (c) => c.notNull().defaultTo('null'))
    .addColumn('mountpoint', 'varchar(255)')
    .addColumn('host_name', 'varchar(255)')
    .addColumn('connector', 'text')
    .addColumn('connection_info', 'text')
    .addColumn('attached_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('volume_attachments_volume_id').on('volume_attachments').column('volume_id').execute()
  await db.schema.createIndex('volume_attachments_instance_uuid').on('volume_attachments').column('instance_uuid').execute()

  await db.schema
    .createTable('volume_snapshots')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('volume_id', 'varchar(64)', (c) => c.notNull().references('volumes.id'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)')
    .addColumn('description', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('status', 'varchar(32)', (c) => c.notNull())
    .addColumn('progress', 'varchar(16)', (c) => c.notNull().defaultTo('0%'))
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('image_metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('bootable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('backing_path', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('volume_snapshots_volume_id').on('volume_snapshots').column('volume_id').execute()
  await db.schema.createIndex('volume_snapshots_project_id').on('volume_snapshots').column('project_id').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['volume_snapshots', 'volume_attachments', 'volumes']) {
    await db.schema.dropTable(table).execute()
  }
}
