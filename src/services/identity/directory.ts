import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { DomainsTable, ProjectsTable, RolesTable, UsersTable } from '../../db/tables/identity-tables.js'
import { Conflict, InvalidRequest, NotFound, onNotFound } from '../errors.js'
import { hashPassword } from './passwords.js'
import { nowIso } from '../time.js'

export const DEFAULT_DOMAIN_ID = 'default'

export type DomainRow = DomainsTable
export type ProjectRow = ProjectsTable
export type UserRow = Omit<UsersTable, 'password_hash'>
export type RoleRow = RolesTable

export interface RoleAssignmentRow {
  user_id: string
  user_name: string
  user_domain_id: string
  project_id: string
  project_name: string
  project_domain_id: string
  role_id: string
  role_name: string
}

function newId(): string {
  return randomUUID().replace(/-/g, '')
}

function isUniqueViolation(error: unknown): boolean {
  const text = String((error as { message?: string; code?: string })?.message ?? '')
  const code = (error as { code?: string })?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint/.test(text)
}

const USER_COLUMNS = ['id', 'name', 'domain_id', 'email', 'description', 'default_project_id', 'enabled', 'created_at'] as const

/** Keystone's directory: domains, projects, users, roles and role assignments. */
export class IdentityDirectory {
  readonly #db: Kysely<Database>
  readonly #onChange: () => void

  constructor(db: Kysely<Database>, onChange: () => void = () => {}) {
    this.#db = db
    this.#onChange = onChange
  }

  async listDomains(filter: { name?: string } = {}): Promise<DomainRow[]> {
    let q = this.#db.selectFrom('domains').selectAll().orderBy('name')
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    return q.execute()
  }

  async getDomain(id: string): Promise<DomainRow> {
    const row = await this.#db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw new NotFound(`Could not find domain: ${id}.`)
    return row
  }

  /** Creates the default domain unless it exists. */
  async ensureDefaultDomain(): Promise<void> {
    const existing = await this.#db.selectFrom('domains').select('id').where('id', '=', DEFAULT_DOMAIN_ID).executeTakeFirst()
    if (!existing) {
      await this.#db.insertInto('domains').values({ id: DEFAULT_DOMAIN_ID, name: 'Default', description: 'The default domain', enabled: 1 }).execute()
    }
  }

  async listProjects(filter: { name?: string; domainId?: string; enabled?: boolean; ids?: string[] } = {}): Promise<ProjectRow[]> {
    let q = this.#db.selectFrom('projects').selectAll().orderBy('name')
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId)
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0)
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return []
      q = q.where('id', 'in', filter.ids)
    }
    return q.execute()
  }

  async getProject(id: string): Promise<ProjectRow> {
    const row = await this.#db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw new NotFound(`Could not find project: ${id}.`)
    return row
  }

  async createProject(input: { name: string; domainId?: string; description?: string; enabled?: boolean; id?: string }): Promise<ProjectRow> {
    const domainId = input.domainId ?? DEFAULT_DOMAIN_ID
    await this.getDomain(domainId).catch(onNotFound(() => new InvalidRequest(`Could not find domain: ${domainId}.`)))
    const row: ProjectRow = {
      id: input.id ?? newId(), name: input.name, domain_id: domainId, description: input.description ?? '',
      enabled: input.enabled === false ? 0 : 1, created_at: nowIso(),
    }
    try {
      await this.#db.insertInto('projects').values(row).execute()
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(`Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${input.name}.`)
      throw error
    }
    return row
  }

  async updateProject(id: string, patch: { name?: string; description?: string; enabled?: boolean }): Promise<ProjectRow> {
    await this.getProject(id)
    const set: Partial<ProjectRow> = {}
    if (patch.name !== undefined) set.name = patch.name
    if (patch.description !== undefined) set.description = patch.description
    if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0
    if (Object.keys(set).length > 0) {
      try {
        await this.#db.updateTable('projects').set(set).where('id', '=', id).execute()
      } catch (error) {
        if (isUniqueViolation(error)) throw new Conflict(`Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${patch.name}.`)
        throw error
      }
      this.#onChange()
    }
    return this.getProject(id)
  }

  async deleteProject(id: string): Promise<void> {
    await this.getProject(id)
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('role_assignments').where('project_id', '=', id).execute()
      await trx.deleteFrom('tokens').where('project_id', '=', id).execute()
      await trx.deleteFrom('projects').where('id', '=', id).execute()
    })
    this.#onChange()
  }

  async listUsers(filter: { name?: string; domainId?: string; enabled?: boolean } = {}): Promise<UserRow[]> {
    let q = this.#db.selectFrom('users').select(USER_COLUMNS).orderBy('name')
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId)
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0)
    return q.execute()
  }

  async getUser(id: string): Promise<UserRow> {
    const row = await this.#db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst()
    if (!row) throw new NotFound(`Could not find user: ${id}.`)
    return row
  }

  async createUser(input: { name: string; domainId?: string; password?: string; email?: string; description?: string; defaultProjectId?: string; enabled?: boolean }): Promise<UserRow> {
    const domainId = input.domainId ?? DEFAULT_DOMAIN_ID
    await this.getDomain(domainId).catch(onNotFound(() => new InvalidRequest(`Could not find domain: ${domainId}.`)))
    if (input.defaultProjectId) await this.getProject(input.defaultProjectId).catch(onNotFound(() => new InvalidRequest(`Could not find project: ${input.defaultProjectId}.`)))
    const row = {
      id: newId(), name: input.name, domain_id: domainId, email: input.email ?? null, description: input.description ?? '',
      default_project_id: input.defaultProjectId ?? null, enabled: input.enabled === false ? 0 : 1, created_at: nowIso(),
    }
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password)
    try {
      await this.#db.insertInto('users').values({ ...row, password_hash: passwordHash }).execute()
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(`Conflict occurred attempting to store user - Duplicate entry found with name ${input.name} at domain ID ${domainId}.`)
      throw error
    }
    return row
  }

  async updateUser(id: string, patch: { name?: string; password?: string; email?: string; description?: string; defaultProjectId?: string | null; enabled?: boolean }): Promise<UserRow> {
    await this.getUser(id)
    const set: Partial<UsersTable> = {}
    if (patch.name !== undefined) set.name = patch.name
    if (patch.email !== undefined) set.email = patch.email
    if (patch.description !== undefined) set.description = patch.description
    if (patch.defaultProjectId !== undefined) set.default_project_id = patch.defaultProjectId
    if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0
    if (patch.password !== undefined) set.password_hash = await hashPassword(patch.password)
    if (Object.keys(set).length > 0) {
      try {
        await this.#db.updateTable('users').set(set).where('id', '=', id).execute()
      } catch (error) {
        if (isUniqueViolation(error)) throw new Conflict(`Conflict occurred attempting to store user - Duplicate entry found with name ${patch.name}.`)
        throw error
      }
      if (patch.password !== undefined || patch.enabled === false) {
        await this.#db.updateTable('tokens').set({ revoked: 1 }).where('user_id', '=', id).execute()
      }
      this.#onChange()
    }
    return this.getUser(id)
  }

  async deleteUser(id: string): Promise<void> {
    await this.getUser(id)
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('role_assignments').where('user_id', '=', id).execute()
      await trx.deleteFrom('tokens').where('user_id', '=', id).execute()
      await trx.deleteFrom('users').where('id', '=', id).execute()
    })
    this.#onChange()
  }

  async listRoles(filter: { name?: string } = {}): Promise<RoleRow[]> {
    let q = this.#db.selectFrom('roles').selectAll().orderBy('name')
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    return q.execute()
  }

  async getRole(id: string): Promise<RoleRow> {
    const row = await this.#db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw new NotFound(`Could not find role: ${id}.`)
    return row
  }

  async createRole(input: { name: string; description?: string }): Promise<RoleRow> {
    const row = { id: newId(), name: input.name, description: input.description ?? '' }
    try {
      await this.#db.insertInto('roles').values(row).execute()
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(`Conflict occurred attempting to store role - Duplicate entry found with name ${input.name}.`)
      throw error
    }
    return row
  }

  async deleteRole(id: string): Promise<void> {
    await this.getRole(id)
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('role_assignments').where('role_id', '=', id).execute()
      await trx.deleteFrom('roles').where('id', '=', id).execute()
    })
    this.#onChange()
  }

  /** PUT /v3/projects/{p}/users/{u}/roles/{r}; idempotent like Keystone's. */
  async grantRole(projectId: string, userId: string, roleId: string): Promise<void> {
    await this.getProject(projectId)
    await this.getUser(userId)
    await this.getRole(roleId)
    const existing = await this.#db.selectFrom('role_assignments').select('role_id')
      .where('project_id', '=', projectId).where('user_id', '=', userId).where('role_id', '=', roleId).executeTakeFirst()
    if (!existing) await this.#db.insertInto('role_assignments').values({ project_id: projectId, user_id: userId, role_id: roleId }).execute()
    this.#onChange()
  }

  async revokeRole(projectId: string, userId: string, roleId: string): Promise<void> {
    await this.getProject(projectId)
    await this.getUser(userId)
    await this.getRole(roleId)
    const result = await this.#db.deleteFrom('role_assignments')
      .where('project_id', '=', projectId).where('user_id', '=', userId).where('role_id', '=', roleId).executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) throw new NotFound(`Could not find role assignment with role: ${roleId}, user or group: ${userId}, project, domain, or system: ${projectId}.`)
    this.#onChange()
  }

  async hasRoleAssignment(projectId: string, userId: string, roleId: string): Promise<boolean> {
    const row = await this.#db.selectFrom('role_assignments').select('role_id')
      .where('project_id', '=', projectId).where('user_id', '=', userId).where('role_id', '=', roleId).executeTakeFirst()
    return row !== undefined
  }

  async listRoleAssignments(filter: { userId?: string; projectId?: string; roleId?: string } = {}): Promise<RoleAssignmentRow[]> {
    let q = this.#db
      .selectFrom('role_assignments')
      .innerJoin('users', 'users.id', 'role_assignments.user_id')
      .innerJoin('projects', 'projects.id', 'role_assignments.project_id')
      .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
      .select([
        'role_assignments.user_id', 'users.name as user_name', 'users.domain_id as user_domain_id',
        'role_assignments.project_id', 'projects.name as project_name', 'projects.domain_id as project_domain_id',
        'role_assignments.role_id', 'roles.name as role_name',
      ])
      .orderBy('projects.name').orderBy('users.name').orderBy('roles.name')
    if (filter.userId !== undefined) q = q.where('role_assignments.user_id', '=', filter.userId)
    if (filter.projectId !== undefined) q = q.where('role_assignments.project_id', '=', filter.projectId)
    if (filter.roleId !== undefined) q = q.where('role_assignments.role_id', '=', filter.roleId)
    return q.execute()
  }

  /** Projects where the user holds any role. */
  async projectsOfUser(userId: string): Promise<ProjectRow[]> {
    const rows = await this.#db.selectFrom('role_assignments').select('project_id').distinct().where('user_id', '=', userId).execute()
    return this.listProjects({ ids: rows.map((r) => r.project_id) })
  }
}
