import { randomUUID } from 'node:crypto'
import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { SecurityGroupRulesTable, SecurityGroupsTable } from '../../db/tables/compute-tables.js'
import { authorize, scopedProjectId } from '../policy.js'
import { InvalidRequest, NotFound, onNotFound } from '../errors.js'
import { nowIso } from '../time.js'
import { isUniqueViolation } from './unique-violation.js'
import { buildIngressRule, type RuleRequest } from './security-group-rules.js'
import { ServiceErrorCode } from '../error-codes.js'
import { SecurityGroupRuleNotFound } from './compute-errors.js'

/** A rule with the name and project of its source group, when it has one. */
export interface SecurityGroupRuleRecord {
  id: string
  parentGroupId: string
  ipProtocol: string | null
  fromPort: number | null
  toPort: number | null
  cidr: string | null
  sourceGroup: { name: string; projectId: string } | null
}

/** A security group with its rules. */
export interface SecurityGroupRecord {
  id: string
  projectId: string
  name: string
  description: string
  rules: SecurityGroupRuleRecord[]
}

const NO_GROUP = (id: string) => new NotFound(`Security group ${id} not found.`, ServiceErrorCode.SECURITY_GROUP_NOT_FOUND)

/**
 * Nova's own security groups (`os-security-groups`), served for clouds
 * without a network service: groups, rules, and their association to servers.
 */
export class SecurityGroupService {
  readonly #deps: Store

  constructor(deps: Store) {
    this.#deps = deps
  }

  /** Creates the project's `default` group unless it exists; returns its id. */
  async ensureDefaultGroup(projectId: string): Promise<string> {
    const db = this.#deps.db
    const find = () => db.selectFrom('security_groups').select('id').where('project_id', '=', projectId).where('name', '=', 'default').executeTakeFirst()
    const existing = await find()
    if (existing) return existing.id
    const id = randomUUID()
    try {
      await db.insertInto('security_groups').values({ id, project_id: projectId, name: 'default', description: 'Default security group', created_at: nowIso() }).execute()
      return id
    } catch (error) {
      // A concurrent request made it first.
      if (!isUniqueViolation(error)) throw error
      return (await find())!.id
    }
  }

  async #records(groups: SecurityGroupsTable[]): Promise<SecurityGroupRecord[]> {
    if (!groups.length) return []
    const db = this.#deps.db
    const rules = await db.selectFrom('security_group_rules').selectAll().where('group_id', 'in', groups.map((g) => g.id)).orderBy('id').execute()
    const sourceIds = [...new Set(rules.map((r) => r.source_group_id).filter((id): id is string => id !== null))]
    const sources = sourceIds.length ? await db.selectFrom('security_groups').select(['id', 'name', 'project_id']).where('id', 'in', sourceIds).execute() : []
    const ruleOf = (r: SecurityGroupRulesTable): SecurityGroupRuleRecord | null => {
      const source = r.source_group_id ? sources.find((s) => s.id === r.source_group_id) : undefined
      // Nova leaves out a rule whose source group is gone.
      if (r.source_group_id && !source) return null
      return {
        id: r.id, parentGroupId: r.group_id, ipProtocol: r.ip_protocol, fromPort: r.from_port === null ? null : Number(r.from_port),
        toPort: r.to_port === null ? null : Number(r.to_port), cidr: r.cidr, sourceGroup: source ? { name: source.name, projectId: source.project_id } : null,
      }
    }
    return groups.map((g) => ({
      id: g.id, projectId: g.project_id, name: g.name, description: g.description,
      rules: rules.filter((r) => r.group_id === g.id).map(ruleOf).filter((r): r is SecurityGroupRuleRecord => r !== null),
    }))
  }

  async #group(auth: AuthContext, id: string): Promise<SecurityGroupRecord> {
    let query = this.#deps.db.selectFrom('security_groups').selectAll().where('id', '=', id)
    if (!auth.isAdmin) query = query.where('project_id', '=', auth.projectId ?? '')
    const row = await query.executeTakeFirst()
    if (!row) throw NO_GROUP(id)
    return (await this.#records([row]))[0]!
  }

  /** `GET /os-security-groups`: the project's groups (its `default` made on first use); admins see all with `allTenants`. */
  async listGroups(auth: AuthContext, options: { allTenants?: boolean; limit?: number; offset?: number } = {}): Promise<SecurityGroupRecord[]> {
    authorize(auth, 'os_compute_api:os-security-groups:get', 'reader')
    const projectId = scopedProjectId(auth, 'os_compute_api:os-security-groups:get')
    await this.ensureDefaultGroup(projectId)
    let query = this.#deps.db.selectFrom('security_groups').selectAll().orderBy('project_id').orderBy('name').orderBy('id')
    if (!(auth.isAdmin && options.allTenants)) query = query.where('project_id', '=', projectId)
    let rows = await query.execute()
    rows = rows.slice(options.offset ?? 0, options.limit === undefined ? undefined : (options.offset ?? 0) + options.limit)
    return this.#records(rows)
  }

  /** `GET /os-security-groups/{id}`: 404 outside the caller's project (admins see all). */
  async getGroup(auth: AuthContext, id: string): Promise<SecurityGroupRecord> {
    authorize(auth, 'os_compute_api:os-security-groups:show', 'reader')
    return this.#group(auth, id)
  }

  /** `POST /os-security-groups`: names are unique in a project (400 otherwise, as Nova's SecurityGroupExists). */
  async createGroup(auth: AuthContext, name: string, description: string): Promise<SecurityGroupRecord> {
    authorize(auth, 'os_compute_api:os-security-groups:create', 'member')
    const projectId = scopedProjectId(auth, 'os_compute_api:os-security-groups:create')
    await this.ensureDefaultGroup(projectId)
    const exists = () => new InvalidRequest(`Security group ${name} already exists for project ${projectId}.`, ServiceErrorCode.SECURITY_GROUP_EXISTS)
    const taken = await this.#deps.db.selectFrom('security_groups').select('id').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst()
    if (taken) throw exists()
    const id = randomUUID()
    await this.#deps.db.insertInto('security_groups').values({ id, project_id: projectId, name, description, created_at: nowIso() }).execute().catch((error: unknown) => {
      if (isUniqueViolation(error)) throw exists()
      throw error
    })
    return this.#group(auth, id)
  }

  /** `PUT /os-security-groups/{id}`: renames or redescribes; the `default` group keeps its name. */
  async updateGroup(auth: AuthContext, id: string, name: string, description: string): Promise<SecurityGroupRecord> {
    authorize(auth, 'os_compute_api:os-security-groups:update', 'member')
    const group = await this.#group(auth, id)
    if (group.name === 'default' && name !== 'default') throw new InvalidRequest('Updating default security group not allowed.')
    if (name !== group.name) {
      const taken = await this.#deps.db.selectFrom('security_groups').select('id').where('project_id', '=', group.projectId).where('name', '=', name).executeTakeFirst()
      if (taken) throw new InvalidRequest(`Security group ${name} already exists for project ${group.projectId}.`, ServiceErrorCode.SECURITY_GROUP_EXISTS)
    }
    await this.#deps.db.updateTable('security_groups').set({ name, description }).where('id', '=', id).execute()
    return this.#group(auth, id)
  }

  /** `DELETE /os-security-groups/{id}`: not the `default` group, not one a server is in (400). */
  async deleteGroup(auth: AuthContext, id: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-security-groups:delete', 'member')
    const group = await this.#group(auth, id)
    if (group.name === 'default') throw new InvalidRequest('Removing default security group not allowed.')
    const db = this.#deps.db
    await db.transaction().execute(async (trx) => {
      const used = await trx.selectFrom('instance_security_groups').innerJoin('instances', 'instances.uuid', 'instance_security_groups.instance_uuid')
        .select('instance_security_groups.instance_uuid').where('instance_security_groups.group_id', '=', id).where('instances.deleted', '=', 0).executeTakeFirst()
      if (used) throw new InvalidRequest(`Security group ${id} is in use.`, ServiceErrorCode.SECURITY_GROUP_IN_USE)
      await trx.deleteFrom('security_group_rules').where('source_group_id', '=', id).execute()
      await trx.deleteFrom('security_group_rules').where('group_id', '=', id).execute()
      await trx.deleteFrom('instance_security_groups').where('group_id', '=', id).execute()
      await trx.deleteFrom('security_groups').where('id', '=', id).execute()
    })
  }

  /** `POST /os-security-group-rules`: an ingress rule in one of the caller's groups; 400 for a duplicate. */
  async createRule(auth: AuthContext, parentGroupId: string, request: RuleRequest): Promise<SecurityGroupRuleRecord> {
    authorize(auth, 'os_compute_api:os-security-groups:rule:create', 'member')
    const group = await this.#group(auth, parentGroupId)
    if (request.group_id) await this.#group(auth, request.group_id)
    const rule = buildIngressRule(request)
    const existing = await this.#deps.db.selectFrom('security_group_rules').selectAll().where('group_id', '=', group.id).execute()
    const duplicate = existing.some((r) => r.ip_protocol === rule.ipProtocol && r.cidr === rule.cidr && r.source_group_id === rule.sourceGroupId
      && (r.from_port === null ? null : Number(r.from_port)) === rule.fromPort && (r.to_port === null ? null : Number(r.to_port)) === rule.toPort)
    if (duplicate) throw new InvalidRequest(`This rule already exists in group ${parentGroupId}`, ServiceErrorCode.SECURITY_GROUP_RULE_EXISTS)
    const id = randomUUID()
    await this.#deps.db.insertInto('security_group_rules').values({
      id, group_id: parentGroupId, ip_protocol: rule.ipProtocol, from_port: rule.fromPort, to_port: rule.toPort, cidr: rule.cidr, source_group_id: rule.sourceGroupId,
    }).execute()
    return (await this.#group(auth, parentGroupId)).rules.find((r) => r.id === id)!
  }

  /** `DELETE /os-security-group-rules/{id}`: 404 for a rule outside the caller's groups. */
  async deleteRule(auth: AuthContext, id: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-security-groups:rule:delete', 'member')
    const rule = await this.#deps.db.selectFrom('security_group_rules').select(['id', 'group_id']).where('id', '=', id).executeTakeFirst()
    if (!rule) throw new SecurityGroupRuleNotFound(id)
    await this.#group(auth, rule.group_id).catch(onNotFound(() => new SecurityGroupRuleNotFound(id)))
    await this.#deps.db.deleteFrom('security_group_rules').where('id', '=', id).execute()
  }

  /** The groups a server is in, with their rules (`GET /servers/{id}/os-security-groups`); the caller checks the server. */
  async groupsOfServer(instanceUuid: string): Promise<SecurityGroupRecord[]> {
    const rows = await this.#deps.db.selectFrom('security_groups').innerJoin('instance_security_groups', 'instance_security_groups.group_id', 'security_groups.id')
      .selectAll('security_groups').where('instance_security_groups.instance_uuid', '=', instanceUuid).orderBy('security_groups.name').execute()
    return this.#records(rows)
  }

  /** Names of the groups a server is in, for the server view. */
  async groupNamesOfServer(instanceUuid: string): Promise<string[]> {
    const rows = await this.#deps.db.selectFrom('security_groups').innerJoin('instance_security_groups', 'instance_security_groups.group_id', 'security_groups.id')
      .select('security_groups.name').where('instance_security_groups.instance_uuid', '=', instanceUuid).orderBy('security_groups.name').execute()
    return rows.map((r) => r.name)
  }

  async #groupByName(auth: AuthContext, groupName: string): Promise<{ id: string; projectId: string }> {
    const projectId = scopedProjectId(auth, 'os_compute_api:os-security-groups:add')
    if (groupName === 'default') await this.ensureDefaultGroup(projectId)
    const row = await this.#deps.db.selectFrom('security_groups').select('id').where('project_id', '=', projectId).where('name', '=', groupName).executeTakeFirst()
    if (!row) throw new NotFound(`Security group ${groupName} is not found for project ${projectId}`, ServiceErrorCode.SECURITY_GROUP_NOT_FOUND)
    return { id: row.id, projectId }
  }

  /** addSecurityGroup action: NotFound for an unknown group name in the caller's project; adding twice changes nothing (as with Neutron). */
  async addToServer(auth: AuthContext, instanceUuid: string, groupName: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-security-groups:add', 'member')
    const group = await this.#groupByName(auth, groupName)
    const present = await this.#deps.db.selectFrom('instance_security_groups').select('group_id')
      .where('instance_uuid', '=', instanceUuid).where('group_id', '=', group.id).executeTakeFirst()
    if (present) return
    await this.#deps.db.insertInto('instance_security_groups').values({ instance_uuid: instanceUuid, group_id: group.id }).execute().catch((error: unknown) => {
      if (!isUniqueViolation(error)) throw error
    })
  }

  /** removeSecurityGroup action: 404 when the group is unknown in the caller's project or not on the server. */
  async removeFromServer(auth: AuthContext, instanceUuid: string, groupName: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-security-groups:remove', 'member')
    const group = await this.#groupByName(auth, groupName)
    const result = await this.#deps.db.deleteFrom('instance_security_groups').where('instance_uuid', '=', instanceUuid).where('group_id', '=', group.id).executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) {
      throw new NotFound(`Security group ${groupName} not associated with the instance ${instanceUuid}`, ServiceErrorCode.SECURITY_GROUP_NOT_ON_SERVER)
    }
  }
}
