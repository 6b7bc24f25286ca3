import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// Security groups become Neutron's (neutron/db/models/securitygroup.py) on the
// tables Nova's own groups already use: Neutron's names map onto the existing
// columns rather than duplicating them —
//   protocol → ip_protocol, port_range_min/max → from_port/to_port,
//   remote_ip_prefix → cidr, remote_group_id → source_group_id,
//   security_group_id → group_id —
// and only what Nova's rows lacked is added (direction, ethertype,
// description, project_id, stateful, revision and times).
// Existing rows were made by Nova's API, which only makes ingress rules: they
// become ingress rules, Nova's "any" port values (-1 for ICMP, 1-65535 for
// TCP/UDP) Neutron's null range, and every group gets Neutron's egress rules
// (the `default` group also its ingress-from-itself rules), which is what
// Nova-made groups meant: egress was never filtered.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('security_groups').addColumn('stateful', 'integer', (c) => c.notNull().defaultTo(1)).execute()
  await db.schema.alterTable('security_groups').addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('security_groups').addColumn('updated_at', 'varchar(32)', (c) => c.notNull().defaultTo('')).execute()

  const rules = db.schema.alterTable('security_group_rules')
  await rules.addColumn('direction', 'varchar(16)', (c) => c.notNull().defaultTo('ingress')).execute()
  await rules.addColumn('ethertype', 'varchar(8)', (c) => c.notNull().defaultTo('IPv4')).execute()
  await rules.addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo('')).execute()
  await rules.addColumn('project_id', 'varchar(64)', (c) => c.notNull().defaultTo('')).execute()
  await rules.addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await rules.addColumn('created_at', 'varchar(32)', (c) => c.notNull().defaultTo('')).execute()
  await rules.addColumn('updated_at', 'varchar(32)', (c) => c.notNull().defaultTo('')).execute()
  await db.schema.createIndex('security_group_rules_group').on('security_group_rules').column('group_id').execute()
  await db.schema.createIndex('port_security_groups_group').on('port_security_groups').column('security_group_id').execute()

  const groups: Array<{ id: string; project_id: string; name: string; created_at: string }> =
    await db.selectFrom('security_groups').select(['id', 'project_id', 'name', 'created_at']).execute()
  for (const group of groups) {
    await db.updateTable('security_groups').set({ updated_at: group.created_at }).where('id', '=', group.id).execute()
    await db.updateTable('security_group_rules').set({ project_id: group.project_id, created_at: group.created_at, updated_at: group.created_at })
      .where('group_id', '=', group.id).execute()
    const added = [
      { direction: 'egress', ethertype: 'IPv4', source_group_id: null },
      { direction: 'egress', ethertype: 'IPv6', source_group_id: null },
      ...(group.name === 'default'
        ? [{ direction: 'ingress', ethertype: 'IPv4', source_group_id: group.id }, { direction: 'ingress', ethertype: 'IPv6', source_group_id: group.id }]
        : []),
    ]
    for (const rule of added) {
      await db.insertInto('security_group_rules').values({
        id: randomUUID(), group_id: group.id, ip_protocol: null, from_port: null, to_port: null, cidr: null, ...rule,
        description: '', project_id: group.project_id, revision_number: 0, created_at: group.created_at, updated_at: group.created_at,
      }).execute()
    }
  }
  await db.updateTable('security_group_rules').set({ ethertype: 'IPv6' }).where('cidr', 'like', '%:%').execute()
  await db.updateTable('security_group_rules').set({ from_port: null, to_port: null })
    .where('ip_protocol', '=', 'icmp').where('from_port', '=', -1).where('to_port', '=', -1).execute()
  await db.updateTable('security_group_rules').set({ to_port: null }).where('ip_protocol', '=', 'icmp').where('to_port', '=', -1).execute()
  await db.updateTable('security_group_rules').set({ from_port: null, to_port: null })
    .where('ip_protocol', 'in', ['tcp', 'udp']).where('from_port', '=', 1).where('to_port', '=', 65535).execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('port_security_groups_group').execute()
  await db.schema.dropIndex('security_group_rules_group').execute()
  for (const column of ['updated_at', 'created_at', 'revision_number', 'project_id', 'description', 'ethertype', 'direction']) {
    await db.schema.alterTable('security_group_rules').dropColumn(column).execute()
  }
  for (const column of ['updated_at', 'revision_number', 'stateful']) {
    await db.schema.alterTable('security_groups').dropColumn(column).execute()
  }
}
