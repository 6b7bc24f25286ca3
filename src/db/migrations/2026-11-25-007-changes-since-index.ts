import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// `GET /servers/detail?changes-since=` is how clients poll many servers at once;
// without this index it reads every server of the project (Nova has the same
// one: instances_updated_at_project_id_idx). Finished tasks are purged by age.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('instances_project_updated').on('instances').columns(['project_id', 'updated_at']).execute()
  await db.schema.createIndex('tasks_status_updated').on('tasks').columns(['status', 'updated_at']).execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tasks_status_updated').execute()
  await db.schema.dropIndex('instances_project_updated').execute()
}
