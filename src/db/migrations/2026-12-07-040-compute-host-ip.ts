import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Nova's compute_nodes.host_ip (the agent's `my_ip`): the address a compute
// host is reached at by other hosts (consoles, forwards, migration). Null
// until the host's agent registers; os-hypervisors then falls back to the
// control plane's own address (one host).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('compute_services').addColumn('host_ip', 'varchar(64)').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('compute_services').dropColumn('host_ip').execute()
}
