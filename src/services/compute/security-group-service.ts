import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { SecurityGroupRulesTable, SecurityGroupsTable } from '../../db/tables/compute-tables.js'
import { authorize, scopedProjectId } from '../policy.js'
import { Conflict, InvalidRequest, NotFound, onNotFound } from '../errors.js'
import { isUniqueViolation } from './unique-violation.js'
import { buildIngressRule, type RuleRequest } from './security-group-rules.js'
import { ServiceErrorCode } from '../error-codes.js'
import { SecurityGroupRuleNotFound } from './compute-errors.js'
import { deleteGroupRows, ensureDefaultGroup, groupIdsOfServers, groupInUse, insertGroup, ruleRow, touchGroup } from '../network/security-group-model.js'
import { forwardingPortsInGroups, withForwardsRefresh, type NetworkChangeQueue } from '../network/port-forwards.js'
import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'

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

/** What the service is built with: the store, and the queue that tells agents a server's forwards changed. */
export interface SecurityGroupDeps extends Store {
  readonly tasks: NetworkChangeQueue
}

/**
 * Nova's security group API (`os-security-groups`, the server actions) over
 * the network service's model, as Nova proxies Neutron
 * (nova/network/security_group_api.py): only ingress rules show, Neutron's
 * "no range" shows as Nova's 1–65535 or -1, and a server's groups are its
 * ports' groups (a server without ports keeps Nova's own association).
 */
export class SecurityGroupService {
  readonly #deps: SecurityGroupDeps

  constructor(deps: SecurityGroupDeps) {
    this.#deps = deps
  }

  /** Creates the project's `default` group (with Neutron's default rules) unless it exists; returns its id. */
  async ensureDefaultGroup(projectId: string): Promise<string> {
    return ensureDefaultGroup(this.#deps.db, projectId)
  }

  async #records(groups: SecurityGroupsTable[]): Promise<SecurityGroupRecord[]> {
    if (!groups.length) return []
    const db = this.#deps.db
    const rules = await db.selectFrom('security_group_rules').selectAll().where('group_id', 'in', groups.map((g) => g.id)).where('direction', '=', 'ingress').orderBy('id').execute()
    const sourceIds = [...new Set(rules.map((r) => r.source_group_id).filter((id): id is string => id !== null))]
    const sources = sourceIds.length ? await db.selectFrom('security_groups').select(['id', 'name', 'project_id']).where('id', 'in', sourceIds).execute() : []
    const ruleOf = (r: SecurityGroupRulesTable): SecurityGroupRuleRecord | null => {
      const source = r.source_group_id ? sources.find((s) => s.id === r.source_group_id) : undefined
      // Nova leaves out a rule whose source group is gone.
      if (r.source_group_id && !source) return null
      // _convert_to_nova_security_group_rule_format: Neutron's open range is 1-65535 for TCP/UDP, -1 for the rest.
      let fromPort = r.from_port === null ? null : Number(r.from_port)
      let toPort = r.to_port === null ? null : Number(r.to_port)
      if (r.ip_protocol && fromPort === null && toPort === null) [fromPort, toPort] = ['TCP', 'UDP'].includes(r.ip_protocol.toUpperCase()) ? [1, 65535] : [-1, -1]
      return {
        id: r.id, parentGroupId: r.group_id, ipProtocol: r.ip_protocol, fromPort, toPort, cidr: r.cidr ?? '0.0.0.0/0',
        sourceGroup: source ? { name: source.name, projectId: source.project_id } : null,
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
    const id = await this.#deps.db.transaction().execute((trx) => insertGroup(trx, { projectId, name, description })).catch((error: unknown) => {
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
    await touchGroup(this.#deps.db, id)
    return this.#group(auth, id)
  }

  /** `DELETE /os-security-groups/{id}`: not the `default` group, not one a server is in (400). */
  async deleteGroup(auth: AuthContext, id: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-security-groups:delete', 'member')
    const group = await this.#group(auth, id)
    if (group.name === 'default') throw new InvalidRequest('Removing default security group not allowed.')
    const db = this.#deps.db
    await db.transaction().execute(async (trx) => {
      // Nova turns Neutron's 409 SecurityGroupInUse into a 400 with its text.
      if (await groupInUse(trx, id)) throw new InvalidRequest(`Security Group ${id} in use.`, ServiceErrorCode.SECURITY_GROUP_IN_USE)
      await deleteGroupRows(trx, id)
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
    // _make_neutron_security_group_rules_list: ingress, the CIDR's family (IPv4 for a group), -1 means no bound.
    let fromPort = rule.fromPort === -1 ? null : rule.fromPort
    let toPort = rule.toPort === -1 ? null : rule.toPort
    // Neutron stores the whole port range as no range.
    if (fromPort === 1 && toPort === 65535) [fromPort, toPort] = [null, null]
    const row = ruleRow({
      group_id: parentGroupId, project_id: group.projectId, direction: 'ingress', ethertype: rule.cidr?.includes(':') ? 'IPv6' : 'IPv4',
      ip_protocol: rule.ipProtocol, from_port: fromPort, to_port: toPort, cidr: rule.cidr, source_group_id: rule.sourceGroupId,
    })
    await this.#ruleChanged(parentGroupId, (trx) => trx.insertInto('security_group_rules').values(row).execute())
    return (await this.#group(auth, parentGroupId)).rules.find((r) => r.id === row.id)!
  }

  /** `DELETE /os-security-group-rules/{id}`: 404 for a rule outside the caller's groups. */
  async deleteRule(auth: AuthContext, id: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-security-groups:rule:delete', 'member')
    const rule = await this.#deps.db.selectFrom('security_group_rules').select(['id', 'group_id']).where('id', '=', id).executeTakeFirst()
    if (!rule) throw new SecurityGroupRuleNotFound(id)
    await this.#group(auth, rule.group_id).catch(onNotFound(() => new SecurityGroupRuleNotFound(id)))
    await this.#ruleChanged(rule.group_id, (trx) => trx.deleteFrom('security_group_rules').where('id', '=', id).execute())
  }

  /** Runs a rule change with the group's revision bump and the forwards refresh of the running servers it affects. */
  async #ruleChanged(groupId: string, change: (trx: Transaction<Database>) => Promise<unknown>): Promise<void> {
    await withForwardsRefresh(this.#deps.db, this.#deps.tasks, async (trx) => {
      await change(trx)
      await touchGroup(trx, groupId)
      return { value: undefined, portIds: await forwardingPortsInGroups(trx, [groupId]) }
    })
  }

  async #groupsOf(instanceUuid: string): Promise<SecurityGroupsTable[]> {
    const ids = (await groupIdsOfServers(this.#deps.db, [instanceUuid])).get(instanceUuid) ?? []
    if (!ids.length) return []
    return this.#deps.db.selectFrom('security_groups').selectAll().where('id', 'in', ids).orderBy('name').orderBy('id').execute()
  }

  /** The groups a server is in, with their rules (`GET /servers/{id}/os-security-groups`); the caller checks the server. */
  async groupsOfServer(instanceUuid: string): Promise<SecurityGroupRecord[]> {
    return this.#records(await this.#groupsOf(instanceUuid))
  }

  /** Names of the groups a server is in, for the server view. */
  async groupNamesOfServer(instanceUuid: string): Promise<string[]> {
    return (await this.#groupsOf(instanceUuid)).map((g) => g.name)
  }

  async #groupByName(auth: AuthContext, groupName: string): Promise<{ id: string; projectId: string }> {
    const projectId = scopedProjectId(auth, 'os_compute_api:os-security-groups:add')
    if (groupName === 'default') await this.ensureDefaultGroup(projectId)
    const rows = await this.#deps.db.selectFrom('security_groups').select(['id', 'name']).where('project_id', '=', projectId)
      .where((eb) => eb.or([eb('name', '=', groupName), eb('id', '=', groupName)])).orderBy('name').execute()
    const row = rows.find((r) => r.id === groupName) ?? rows[0]
    // Neutron allows repeated names: Nova's find_resourceid_by_name_or_id refuses to guess (NoUniqueMatch, 409).
    if (row && row.id !== groupName && rows.length > 1) throw new Conflict(`Multiple security_group matches found for name '${groupName}', use an ID to be more specific.`)
    if (!row) throw new NotFound(`Security group ${groupName} is not found for project ${projectId}`, ServiceErrorCode.SECURITY_GROUP_NOT_FOUND)
    return { id: row.id, projectId }
  }

  /** The server's ports (Nova's `list_ports(device_id=…)`). */
  async #portsOf(instanceUuid: string) {
    return this.#deps.db.selectFrom('ports').select(['id', 'port_security_enabled']).where('device_id', '=', instanceUuid).orderBy('id').execute()
  }

  /**
   * addSecurityGroup action: NotFound for an unknown group in the caller's
   * project; adding twice changes nothing (as with Neutron). With ports the
   * group goes onto every port (400 for a port without port security or
   * fixed IPs, as Nova's SecurityGroupCannotBeApplied); without, onto the server.
   */
  async addToServer(auth: AuthContext, instanceUuid: string, groupName: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-security-groups:add', 'member')
    const group = await this.#groupByName(auth, groupName)
    const db = this.#deps.db
    const ports = await this.#portsOf(instanceUuid)
    if (ports.length) {
      await withForwardsRefresh(db, this.#deps.tasks, async (trx) => {
        for (const port of ports) {
          const ip = await trx.selectFrom('ip_allocations').select('port_id').where('port_id', '=', port.id).executeTakeFirst()
          if (Number(port.port_security_enabled) !== 1 || !ip) {
            throw new InvalidRequest('Network requires port_security_enabled and subnet associated in order to apply security groups.', ServiceErrorCode.SECURITY_GROUP_NOT_APPLICABLE)
          }
          const present = await trx.selectFrom('port_security_groups').select('port_id').where('port_id', '=', port.id).where('security_group_id', '=', group.id).executeTakeFirst()
          if (!present) await trx.insertInto('port_security_groups').values({ port_id: port.id, security_group_id: group.id }).execute()
        }
        // The server's own record follows, so new ports (os-interface) get the same groups.
        const own = await trx.selectFrom('instance_security_groups').select('group_id').where('instance_uuid', '=', instanceUuid).where('group_id', '=', group.id).executeTakeFirst()
        if (!own) await trx.insertInto('instance_security_groups').values({ instance_uuid: instanceUuid, group_id: group.id }).execute()
        return { value: undefined, portIds: ports.map((p) => p.id) }
      })
      return
    }
    const present = await db.selectFrom('instance_security_groups').select('group_id')
      .where('instance_uuid', '=', instanceUuid).where('group_id', '=', group.id).executeTakeFirst()
    if (present) return
    await db.insertInto('instance_security_groups').values({ instance_uuid: instanceUuid, group_id: group.id }).execute().catch((error: unknown) => {
      if (!isUniqueViolation(error)) throw error
    })
  }

  /** removeSecurityGroup action: 404 when the group is unknown in the caller's project or on none of the server's ports (or the server). */
  async removeFromServer(auth: AuthContext, instanceUuid: string, groupName: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-security-groups:remove', 'member')
    const group = await this.#groupByName(auth, groupName)
    const db = this.#deps.db
    const ports = await this.#portsOf(instanceUuid)
    const removed = ports.length
      ? await withForwardsRefresh(db, this.#deps.tasks, async (trx) => {
        const result = await trx.deleteFrom('port_security_groups').where('port_id', 'in', ports.map((p) => p.id)).where('security_group_id', '=', group.id).executeTakeFirst()
        await trx.deleteFrom('instance_security_groups').where('instance_uuid', '=', instanceUuid).where('group_id', '=', group.id).execute()
        return { value: Number(result.numDeletedRows), portIds: ports.map((p) => p.id) }
      })
      : Number((await db.deleteFrom('instance_security_groups').where('instance_uuid', '=', instanceUuid).where('group_id', '=', group.id).executeTakeFirst()).numDeletedRows)
    if (removed === 0) {
      throw new NotFound(`Security group ${groupName} not associated with the instance ${instanceUuid}`, ServiceErrorCode.SECURITY_GROUP_NOT_ON_SERVER)
    }
  }
}
