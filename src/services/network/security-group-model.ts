import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { SecurityGroupRulesTable, SecurityGroupsTable } from '../../db/tables/compute-tables.js'
import { nowIso } from '../time.js'
import { isUniqueViolation } from '../compute/unique-violation.js'

/**
 * The one security group model both APIs share (Neutron's `/v2.0/security-groups`
 * and Nova's `os-security-groups`): the rows, the rules a new group starts
 * with, the per-project `default` group, and which groups a server is in.
 */

type Db = Kysely<Database> | Transaction<Database>

/** Neutron's description of the per-project default group (DEFAULT_SG_DESCRIPTION). */
export const DEFAULT_GROUP_DESCRIPTION = 'Default security group'

/**
 * Neutron's default rule templates (security_group_default_rules): every group
 * allows all egress, IPv4 and IPv6; the `default` group also allows ingress
 * from its own members (remote group = itself).
 */
function templateRules(groupId: string, isDefault: boolean): Array<Pick<SecurityGroupRulesTable, 'direction' | 'ethertype' | 'source_group_id'>> {
  const egress = (['IPv4', 'IPv6'] as const).map((ethertype) => ({ direction: 'egress', ethertype, source_group_id: null }))
  const ingress = (['IPv4', 'IPv6'] as const).map((ethertype) => ({ direction: 'ingress', ethertype, source_group_id: groupId }))
  return isDefault ? [...egress, ...ingress] : egress
}

/** A new rule row with Neutron's defaults for what is not given. */
export function ruleRow(values: Pick<SecurityGroupRulesTable, 'group_id' | 'project_id' | 'direction' | 'ethertype'> & Partial<SecurityGroupRulesTable>): SecurityGroupRulesTable {
  const now = nowIso()
  return {
    id: randomUUID(), ip_protocol: null, from_port: null, to_port: null, cidr: null, source_group_id: null, description: '',
    revision_number: 0, created_at: now, updated_at: now, ...values,
  }
}

/** Inserts a group and the rules Neutron gives a new group; returns its id. */
export async function insertGroup(db: Db, group: { projectId: string; name: string; description: string; stateful?: boolean }): Promise<string> {
  const id = randomUUID()
  const now = nowIso()
  const row: SecurityGroupsTable = {
    id, project_id: group.projectId, name: group.name, description: group.description, stateful: group.stateful === false ? 0 : 1,
    revision_number: 0, created_at: now, updated_at: now,
  }
  await db.insertInto('security_groups').values(row).execute()
  for (const template of templateRules(id, group.name === 'default')) {
    await db.insertInto('security_group_rules').values(ruleRow({ group_id: id, project_id: group.projectId, ...template })).execute()
  }
  return id
}

/**
 * The project's `default` group, created with Neutron's four rules on first
 * use; returns its id. Inside a transaction it is made in that transaction
 * (SQLite has one connection: a second transaction would wait for ever).
 */
export async function ensureDefaultGroup(db: Db, projectId: string): Promise<string> {
  const find = () => db.selectFrom('security_groups').select('id').where('project_id', '=', projectId).where('name', '=', 'default').executeTakeFirst()
  const existing = await find()
  if (existing) return existing.id
  if (db.isTransaction) return insertGroup(db, { projectId, name: 'default', description: DEFAULT_GROUP_DESCRIPTION })
  try {
    return await (db as Kysely<Database>).transaction().execute((trx) => insertGroup(trx, { projectId, name: 'default', description: DEFAULT_GROUP_DESCRIPTION }))
  } catch (error) {
    // A concurrent request made it first.
    if (!isUniqueViolation(error)) throw error
    return (await find())!.id
  }
}

/** Bumps a group's revision (Neutron counts a rule change as a change of its group too). */
export async function touchGroup(db: Db, groupId: string): Promise<void> {
  await db.updateTable('security_groups').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: nowIso() })).where('id', '=', groupId).execute()
}

/** True when a port is bound to the group, or (Nova's groups) a live server without ports is in it. */
export async function groupInUse(db: Db, groupId: string): Promise<boolean> {
  const port = await db.selectFrom('port_security_groups').select('port_id').where('security_group_id', '=', groupId).executeTakeFirst()
  if (port) return true
  const server = await db.selectFrom('instance_security_groups').innerJoin('instances', 'instances.uuid', 'instance_security_groups.instance_uuid')
    .select('instance_security_groups.instance_uuid').where('instance_security_groups.group_id', '=', groupId).where('instances.deleted', '=', 0).executeTakeFirst()
  return server !== undefined
}

/** Deletes a group with its rules, the rules of other groups naming it as remote, and its bindings. */
export async function deleteGroupRows(db: Db, groupId: string): Promise<void> {
  await db.deleteFrom('security_group_rules').where('source_group_id', '=', groupId).execute()
  await db.deleteFrom('security_group_rules').where('group_id', '=', groupId).execute()
  await db.deleteFrom('instance_security_groups').where('group_id', '=', groupId).execute()
  await db.deleteFrom('port_security_groups').where('security_group_id', '=', groupId).execute()
  await db.deleteFrom('security_groups').where('id', '=', groupId).execute()
}

/**
 * The groups of servers, by server: the groups of the server's ports when it
 * has ports (as Nova asks Neutron), else the groups recorded for the server
 * itself (servers booted without a network keep Nova's own association).
 */
export async function groupIdsOfServers(db: Db, instanceUuids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (!instanceUuids.length) return out
  const ports = await db.selectFrom('ports').leftJoin('port_security_groups', 'port_security_groups.port_id', 'ports.id')
    .select(['ports.device_id', 'port_security_groups.security_group_id']).where('ports.device_id', 'in', instanceUuids).execute()
  const withPorts = new Set<string>()
  for (const row of ports) {
    withPorts.add(row.device_id)
    if (!row.security_group_id) continue
    const list = out.get(row.device_id) ?? []
    if (!list.includes(row.security_group_id)) list.push(row.security_group_id)
    out.set(row.device_id, list)
  }
  const rest = instanceUuids.filter((uuid) => !withPorts.has(uuid))
  if (rest.length) {
    const own = await db.selectFrom('instance_security_groups').select(['instance_uuid', 'group_id']).where('instance_uuid', 'in', rest).execute()
    for (const row of own) out.set(row.instance_uuid, [...(out.get(row.instance_uuid) ?? []), row.group_id])
  }
  return out
}
