import { randomUUID } from 'node:crypto'
import type { Store } from '../store.js'
import type { Db } from '../../db/schema.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { ServerGroupsTable } from '../../db/tables/server-group-tables.js'
import { authorize, scopedProjectId } from '../policy.js'
import { nowIso } from '../time.js'
import { lockProjectQuotas } from '../quotas/quota-store.js'
import { checkServerGroupQuota } from './compute-quotas.js'
import { ServerGroupNotFound, ServerGroupRulesNotSupported } from './server-group-errors.js'

/** A server group's placement policy (Nova's four; `legacy` is never set through the API). */
export type ServerGroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity'

/** A group's rules: only anti-affinity has one, `max_server_per_host` (2.64+). */
export interface ServerGroupRules {
  max_server_per_host?: number
}

/** A server group with its live members. */
export interface ServerGroupRecord {
  id: string
  name: string
  policy: ServerGroupPolicy
  rules: ServerGroupRules
  /** The UUIDs of its servers that are not deleted. */
  members: string[]
  projectId: string
  userId: string
}

/** What `POST /os-server-groups` asks for (checked by the route). */
export interface ServerGroupCreate {
  name: string
  policy: ServerGroupPolicy
  rules: ServerGroupRules
}

function recordOf(row: ServerGroupsTable, members: string[]): ServerGroupRecord {
  return {
    id: row.id, name: row.name, policy: row.policy as ServerGroupPolicy, rules: JSON.parse(row.rules) as ServerGroupRules, members,
    projectId: row.project_id, userId: row.user_id,
  }
}

/** The live members (instances not deleted) of each of some groups, in the order they joined. */
export async function liveMembers(db: Db, groupIds: string[]): Promise<Map<string, string[]>> {
  const members = new Map<string, string[]>(groupIds.map((id) => [id, []]))
  if (groupIds.length === 0) return members
  const rows = await db.selectFrom('server_group_members').innerJoin('instances', 'instances.uuid', 'server_group_members.instance_uuid')
    .select(['server_group_members.group_id', 'server_group_members.instance_uuid']).where('server_group_members.group_id', 'in', groupIds)
    .where('instances.deleted', '=', 0).orderBy('server_group_members.created_at').orderBy('server_group_members.instance_uuid').execute()
  for (const row of rows) members.get(row.group_id)?.push(row.instance_uuid)
  return members
}

/** A group by id in the caller's scope (admins: any project); ServerGroupNotFound otherwise. */
export async function findServerGroup(db: Db, auth: AuthContext, id: string): Promise<ServerGroupsTable> {
  let query = db.selectFrom('server_groups').selectAll().where('id', '=', id)
  if (!auth.isAdmin) query = query.where('project_id', '=', auth.projectId ?? '')
  const row = await query.executeTakeFirst()
  if (!row) throw new ServerGroupNotFound(id)
  return row
}

/**
 * Nova's `os-server-groups` (nova/api/openstack/compute/server_groups.py):
 * groups of servers with an affinity policy the scheduler keeps. Members
 * join at boot (scheduler hint `group`) and leave when deleted.
 */
export class ServerGroupService {
  readonly #deps: Store

  constructor(deps: Store) {
    this.#deps = deps
  }

  /**
   * `POST /os-server-groups`: 403 over the `server_groups` quota (the
   * project's or the user's), then 400 for rules on a policy other than
   * anti-affinity.
   */
  async create(auth: AuthContext, input: ServerGroupCreate): Promise<ServerGroupRecord> {
    authorize(auth, 'os_compute_api:os-server-groups:create', 'member')
    const projectId = scopedProjectId(auth, 'os_compute_api:os-server-groups:create')
    const now = nowIso()
    const row: ServerGroupsTable = {
      id: randomUUID(), project_id: projectId, user_id: auth.userId, name: input.name, policy: input.policy,
      rules: JSON.stringify(input.rules), created_at: now, updated_at: now,
    }
    await this.#deps.db.transaction().execute(async (trx) => {
      // Counted and inserted under the project's quota lock: concurrent creates can't both take the last place.
      await lockProjectQuotas(trx, projectId)
      await checkServerGroupQuota(trx, projectId, auth.userId)
      // Nova checks the quota first, then the rules.
      if (input.policy !== 'anti-affinity' && Object.keys(input.rules).length > 0) throw new ServerGroupRulesNotSupported()
      await trx.insertInto('server_groups').values(row).execute()
    })
    return recordOf(row, [])
  }

  /**
   * `GET /os-server-groups`: the project's groups, or every project's for an
   * admin asking `all_projects` (a member asking gets their own, as Nova);
   * `offset` and `limit` slice the list as Nova's `common.limited`.
   */
  async list(auth: AuthContext, options: { allProjects: boolean; offset: number; limit: number }): Promise<ServerGroupRecord[]> {
    authorize(auth, 'os_compute_api:os-server-groups:index', 'reader')
    let query = this.#deps.db.selectFrom('server_groups').selectAll().orderBy('created_at').orderBy('id').offset(options.offset).limit(options.limit)
    if (options.allProjects && auth.isAdmin) authorize(auth, 'os_compute_api:os-server-groups:index:all_projects', 'admin')
    else query = query.where('project_id', '=', scopedProjectId(auth, 'os_compute_api:os-server-groups:index'))
    const rows = await query.execute()
    const members = await liveMembers(this.#deps.db, rows.map((r) => r.id))
    return rows.map((row) => recordOf(row, members.get(row.id) ?? []))
  }

  /** `GET /os-server-groups/{id}`: 404 for a group outside the caller's project. */
  async show(auth: AuthContext, id: string): Promise<ServerGroupRecord> {
    authorize(auth, 'os_compute_api:os-server-groups:show', 'reader')
    const row = await findServerGroup(this.#deps.db, auth, id)
    return recordOf(row, (await liveMembers(this.#deps.db, [row.id])).get(row.id) ?? [])
  }

  /** `DELETE /os-server-groups/{id}`: the group and its memberships go; its servers stay. */
  async delete(auth: AuthContext, id: string): Promise<void> {
    authorize(auth, 'os_compute_api:os-server-groups:delete', 'member')
    const row = await findServerGroup(this.#deps.db, auth, id)
    await this.#deps.db.transaction().execute(async (trx) => {
      // The boots that add members hold this lock while they check the group and insert.
      await lockProjectQuotas(trx, row.project_id)
      await trx.deleteFrom('server_group_members').where('group_id', '=', row.id).execute()
      const deleted = await trx.deleteFrom('server_groups').where('id', '=', row.id).executeTakeFirst()
      if (Number(deleted.numDeletedRows) === 0) throw new ServerGroupNotFound(id)
    })
  }

  /** The groups a server belongs to (`server_groups` of a server, 2.71+). */
  async groupsOfServer(instanceUuid: string): Promise<string[]> {
    const rows = await this.#deps.db.selectFrom('server_group_members').select('group_id').where('instance_uuid', '=', instanceUuid).execute()
    return rows.map((r) => r.group_id)
  }
}
