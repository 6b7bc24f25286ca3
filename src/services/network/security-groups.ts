import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { SecurityGroupsTable } from '../../db/tables/compute-tables.js'
import type { Db } from '../../db/schema.js'
import { nowIso } from '../time.js'
import { LifeboatError } from '../errors.js'
import { caller, owningProject } from './network-access.js'
import { inUse, NeutronError, NetworkErrorCode, notFound } from './network-errors.js'
import { checkNetworkQuota } from './network-quotas.js'
import { applyListQuery, pickFields, type ListPage, type ListQuery, type ResourceDict } from './resource-query.js'
import type { PortSecurityGroupsHook } from './network-ports.js'
import { deleteGroupRows, ensureDefaultGroup, groupInUse, insertGroup, ruleRow, touchGroup } from './security-group-model.js'
import { checkRule, ruleKey, type CheckedRule, type RuleInput } from './security-group-rule-checks.js'
import { groupDicts, ruleDicts } from './security-group-dicts.js'
import { forwardingPortsInGroups, withForwardsRefresh, type NetworkChangeQueue } from './port-forwards.js'

/** A group's attributes as a create or update body gives them. */
export interface SecurityGroupInput {
  name?: string
  description?: string
  stateful?: boolean
  project_id?: string
  tenant_id?: string
}

/** A rule as a create body gives it (values checked by `checkRule`). */
export interface SecurityGroupRuleInput extends RuleInput {
  security_group_id: string
  description?: string
  project_id?: string
  tenant_id?: string
}

/** What the module is built with: the store and the queue that tells agents forwards changed. */
export interface NetworkSecurityGroupDeps extends Store {
  readonly tasks: NetworkChangeQueue
}

const ruleNotFound = (id: string) => new NeutronError('SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`, 404, NetworkErrorCode.NOT_FOUND)
/** For `.catch()`: a 404 becomes `replacement()`, anything else passes unchanged. */
const on404 = (replacement: () => Error) => (error: unknown): never => {
  throw error instanceof LifeboatError && error.status === 404 ? replacement() : error
}
const defaultExists = () => inUse('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.')

function toChecked(row: { direction: string; ethertype: string; ip_protocol: string | null; from_port: number | null; to_port: number | null; cidr: string | null; source_group_id: string | null }): CheckedRule {
  return {
    direction: row.direction as CheckedRule['direction'], ethertype: row.ethertype as CheckedRule['ethertype'], protocol: row.ip_protocol,
    portRangeMin: row.from_port === null ? null : Number(row.from_port), portRangeMax: row.to_port === null ? null : Number(row.to_port),
    remoteIpPrefix: row.cidr, remoteGroupId: row.source_group_id,
  }
}

/**
 * Neutron's security groups and rules (`/v2.0/security-groups`,
 * `/v2.0/security-group-rules`, neutron/db/securitygroups_db.py) on the model
 * Nova's `os-security-groups` shares: a project's `default` group is made on
 * first use with Neutron's four rules; groups and rules are the owner's (an
 * admin sees all); a change to the rules of a group re-applies the forwards
 * of the running servers whose ports are in it.
 */
export class NetworkSecurityGroups {
  readonly #deps: NetworkSecurityGroupDeps

  constructor(deps: NetworkSecurityGroupDeps) {
    this.#deps = deps
  }

  /**
   * The ports' hook (PortSecurityGroupsHook): no `security_groups` given →
   * the project's `default` group (when port security is on), else the ids
   * given, each a group of the project (404 otherwise).
   */
  readonly portGroups: PortSecurityGroupsHook = async (trx, { projectId, requested, portSecurityEnabled }) => {
    if (requested === undefined) return portSecurityEnabled ? [await ensureDefaultGroup(trx, projectId)] : []
    const ids = [...new Set(requested)]
    if (!ids.length) return []
    const found = await trx.selectFrom('security_groups').select('id').where('id', 'in', ids).where('project_id', '=', projectId).execute()
    const missing = ids.find((id) => !found.some((f) => f.id === id))
    if (missing) throw notFound('SecurityGroup', missing)
    return ids
  }

  async #visibleGroup(db: Db, auth: AuthContext, id: string): Promise<SecurityGroupsTable> {
    const row = await db.selectFrom('security_groups').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row || !(auth.isAdmin || row.project_id === auth.projectId)) throw notFound('SecurityGroup', id)
    return row
  }

  #page(dicts: ResourceDict[], query: ListQuery, kind: 'group' | 'rule'): ListPage {
    const page = applyListQuery(dicts, query)
    if (!page.markerExists) throw kind === 'group' ? notFound('SecurityGroup', query.marker!) : ruleNotFound(query.marker!)
    return page
  }

  /** `GET /v2.0/security-groups`: the caller's (its `default` made first), or all for an admin. */
  async listGroups(auth: AuthContext, query: ListQuery): Promise<ListPage> {
    const who = caller(auth)
    const db = this.#deps.db
    if (who.projectId) await ensureDefaultGroup(db, who.projectId)
    let rows = db.selectFrom('security_groups').selectAll()
    if (!who.isAdmin) rows = rows.where('project_id', '=', who.projectId ?? '')
    return this.#page(await groupDicts(db, await rows.execute()), query, 'group')
  }

  async showGroup(auth: AuthContext, id: string, fields: string[] = []): Promise<ResourceDict> {
    const row = await this.#visibleGroup(this.#deps.db, caller(auth), id)
    return pickFields((await groupDicts(this.#deps.db, [row]))[0]!, fields)
  }

  /** `POST /v2.0/security-groups`: not named `default`; quota `security_group` (and its two egress rules). */
  async createGroup(auth: AuthContext, input: SecurityGroupInput): Promise<ResourceDict> {
    const who = caller(auth)
    const projectId = owningProject(who, input)
    const name = input.name ?? ''
    if (name.toLowerCase() === 'default') throw defaultExists()
    const db = this.#deps.db
    await ensureDefaultGroup(db, projectId)
    const id = await db.transaction().execute(async (trx) => {
      await checkNetworkQuota(trx, projectId, 'security_group')
      await checkNetworkQuota(trx, projectId, 'security_group_rule', 2)
      return insertGroup(trx, { projectId, name, description: input.description ?? '', stateful: input.stateful })
    })
    // Names repeat freely, as in Neutron (only `default` is one per project, refused above).
    return this.showGroup(who, id)
  }

  /** `PUT /v2.0/security-groups/{id}`: the `default` group keeps its name; `stateful` only while no port uses it. */
  async updateGroup(auth: AuthContext, id: string, input: SecurityGroupInput): Promise<ResourceDict> {
    const who = caller(auth)
    const db = this.#deps.db
    const row = await this.#visibleGroup(db, who, id)
    if (input.name !== undefined && input.name.toLowerCase() === 'default' && row.name !== 'default') throw defaultExists()
    if (row.name === 'default' && input.name !== undefined) throw inUse('SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.')
    const set: Partial<SecurityGroupsTable> = { updated_at: nowIso(), revision_number: row.revision_number + 1 }
    if (input.name !== undefined) set.name = input.name
    if (input.description !== undefined) set.description = input.description
    if (input.stateful !== undefined && (input.stateful ? 1 : 0) !== Number(row.stateful)) {
      if (await groupInUse(db, id)) throw inUse('SecurityGroupInUse', `Security Group ${id} in use.`)
      set.stateful = input.stateful ? 1 : 0
    }
    await db.updateTable('security_groups').set(set).where('id', '=', id).execute()
    return this.showGroup(who, id)
  }

  /** `DELETE /v2.0/security-groups/{id}`: 409 while a port uses it; the `default` group only by an admin. */
  async deleteGroup(auth: AuthContext, id: string): Promise<void> {
    const who = caller(auth)
    await this.#deps.db.transaction().execute(async (trx) => {
      const row = await this.#visibleGroup(trx, who, id)
      if (await groupInUse(trx, id)) throw inUse('SecurityGroupInUse', `Security Group ${id} in use.`)
      if (row.name === 'default' && !who.isAdmin) throw inUse('SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.')
      await deleteGroupRows(trx, id)
    })
  }

  /** `GET /v2.0/security-group-rules`: the rules of the caller's groups (all for an admin). */
  async listRules(auth: AuthContext, query: ListQuery): Promise<ListPage> {
    const who = caller(auth)
    const db = this.#deps.db
    if (who.projectId) await ensureDefaultGroup(db, who.projectId)
    let rows = db.selectFrom('security_group_rules').innerJoin('security_groups', 'security_groups.id', 'security_group_rules.group_id').selectAll('security_group_rules')
    if (!who.isAdmin) rows = rows.where('security_groups.project_id', '=', who.projectId ?? '')
    return this.#page(await ruleDicts(db, await rows.execute()), query, 'rule')
  }

  async showRule(auth: AuthContext, id: string, fields: string[] = []): Promise<ResourceDict> {
    const who = caller(auth)
    const db = this.#deps.db
    const row = await db.selectFrom('security_group_rules').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw ruleNotFound(id)
    await this.#visibleGroup(db, who, row.group_id).catch(on404(() => ruleNotFound(id)))
    return pickFields((await ruleDicts(db, [row]))[0]!, fields)
  }

  /**
   * `POST /v2.0/security-group-rules`: Neutron's checks (`checkRule`), the
   * remote group and the group must be the caller's (404), a duplicate is
   * 409 SecurityGroupRuleExists; quota `security_group_rule`.
   */
  async createRule(auth: AuthContext, input: SecurityGroupRuleInput): Promise<ResourceDict> {
    const who = caller(auth)
    owningProject(who, input)
    const rule = checkRule(input)
    const db = this.#deps.db
    if (rule.remoteGroupId) await this.#visibleGroup(db, who, rule.remoteGroupId)
    const group = await this.#visibleGroup(db, who, input.security_group_id)
    const row = ruleRow({
      group_id: group.id, project_id: group.project_id, direction: rule.direction, ethertype: rule.ethertype, ip_protocol: rule.protocol,
      from_port: rule.portRangeMin, to_port: rule.portRangeMax, cidr: rule.remoteIpPrefix, source_group_id: rule.remoteGroupId, description: input.description ?? '',
    })
    await withForwardsRefresh(db, this.#deps.tasks, async (trx) => {
      const existing = await trx.selectFrom('security_group_rules').selectAll().where('group_id', '=', group.id).execute()
      const key = ruleKey(rule)
      const same = existing.find((r) => ruleKey(toChecked(r)) === key)
      if (same) throw inUse('SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${same.id}.`)
      await checkNetworkQuota(trx, group.project_id, 'security_group_rule')
      await trx.insertInto('security_group_rules').values(row).execute()
      await touchGroup(trx, group.id)
      return { value: undefined, portIds: await forwardingPortsInGroups(trx, [group.id]) }
    })
    return (await ruleDicts(db, [row]))[0]!
  }

  /** `DELETE /v2.0/security-group-rules/{id}`. */
  async deleteRule(auth: AuthContext, id: string): Promise<void> {
    const who = caller(auth)
    const db = this.#deps.db
    const row = await db.selectFrom('security_group_rules').select(['id', 'group_id']).where('id', '=', id).executeTakeFirst()
    if (!row) throw ruleNotFound(id)
    await this.#visibleGroup(db, who, row.group_id).catch(on404(() => ruleNotFound(id)))
    await withForwardsRefresh(db, this.#deps.tasks, async (trx) => {
      await trx.deleteFrom('security_group_rules').where('id', '=', id).execute()
      await touchGroup(trx, row.group_id)
      return { value: undefined, portIds: await forwardingPortsInGroups(trx, [row.group_id]) }
    })
  }
}
