import type { Db } from '../../db/schema.js'
import type { SecurityGroupRulesTable, SecurityGroupsTable } from '../../db/tables/compute-tables.js'
import { novaTime } from '../time.js'
import { tagsOf } from './network-dicts.js'
import { normalizeCidr } from './security-group-rule-checks.js'
import type { ResourceDict } from './resource-query.js'

/** Neutron's `normalized_cidr`: the prefix's network address (10.0.0.5/24 → 10.0.0.0/24). */
function normalizedCidr(prefix: string | null): string | null {
  const parsed = prefix ? normalizeCidr(prefix) : null
  if (!parsed) return null
  if (parsed.version === 6) return parsed.cidr
  const [address, bits] = parsed.cidr.split('/') as [string, string]
  const value = address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
  const size = 2 ** (32 - Number(bits))
  const network = Math.floor(value / size) * size
  return `${[24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.')}/${bits}`
}

/** Neutron's `_make_security_group_rule_dict` (+ standard attributes). */
export function ruleDict(row: SecurityGroupRulesTable, belongsToDefault: boolean): ResourceDict {
  return {
    id: row.id, tenant_id: row.project_id, project_id: row.project_id, security_group_id: row.group_id, ethertype: row.ethertype,
    direction: row.direction, protocol: row.ip_protocol, port_range_min: row.from_port === null ? null : Number(row.from_port),
    port_range_max: row.to_port === null ? null : Number(row.to_port), remote_ip_prefix: row.cidr, remote_address_group_id: null,
    normalized_cidr: normalizedCidr(row.cidr), remote_group_id: row.source_group_id, belongs_to_default_sg: belongsToDefault,
    description: row.description, created_at: novaTime(row.created_at || row.updated_at), updated_at: novaTime(row.updated_at || row.created_at),
    revision_number: row.revision_number,
  }
}

/** Neutron's `_make_security_group_dict` (+ stateful, shared, tags, standard attributes). */
export function groupDict(row: SecurityGroupsTable, rules: SecurityGroupRulesTable[], tags: string[]): ResourceDict {
  return {
    id: row.id, name: row.name, stateful: Number(row.stateful) === 1, tenant_id: row.project_id, project_id: row.project_id, description: row.description,
    shared: false, security_group_rules: rules.map((r) => ruleDict(r, row.name === 'default')), tags,
    created_at: novaTime(row.created_at), updated_at: novaTime(row.updated_at || row.created_at), revision_number: row.revision_number,
  }
}

/** The dicts of loaded groups, with their rules and tags. */
export async function groupDicts(db: Db, rows: SecurityGroupsTable[]): Promise<ResourceDict[]> {
  if (!rows.length) return []
  const ids = rows.map((r) => r.id)
  const rules = await db.selectFrom('security_group_rules').selectAll().where('group_id', 'in', ids).orderBy('created_at').orderBy('id').execute()
  const tags = await tagsOf(db, ids)
  return rows.map((row) => groupDict(row, rules.filter((r) => r.group_id === row.id), tags.get(row.id) ?? []))
}

/** The dicts of loaded rules. */
export async function ruleDicts(db: Db, rows: SecurityGroupRulesTable[]): Promise<ResourceDict[]> {
  if (!rows.length) return []
  const groupIds = [...new Set(rows.map((r) => r.group_id))]
  const defaults = new Set((await db.selectFrom('security_groups').select('id').where('id', 'in', groupIds).where('name', '=', 'default').execute()).map((g) => g.id))
  return rows.map((row) => ruleDict(row, defaults.has(row.group_id)))
}
