import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// The fleet loop's queries by state (docs/rescue-runs.md): a fleet's members
// counted by state and its next pending ones in order come from the index
// alone, and the agent's "the script started" event finds its run by the
// rescue's action id without reading every run ever made.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('server_runs_fleet_state_idx').on('server_runs').columns(['fleet_id', 'state', 'position']).execute()
  await db.schema.createIndex('server_runs_action_idx').on('server_runs').column('action_id').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('server_runs_action_idx').execute()
  await db.schema.dropIndex('server_runs_fleet_state_idx').execute()
}
