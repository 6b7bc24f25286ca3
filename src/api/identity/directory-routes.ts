import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { AssignmentParams, IdParams, NameQuery, ProjectCreate, ProjectUpdate, RoleCreate, UserCreate, UserUpdate } from './schemas.js'
import { authorize } from '../../services/policy.js'
import { NotFound } from '../../services/errors.js'
import { DomainListResponse, DomainResponse, ProjectListResponse, ProjectResponse, UserListResponse, UserResponse, EndpointListResponse, RegionListResponse, RoleAssignmentListResponse, RoleListResponse, RoleResponse, ServiceListResponse } from './response-schemas.js'
import { domainView, listLinks, projectView, roleAssignmentView, roleView, userView } from './views.js'
import { catalogServices } from '../../services/identity/catalog.js'

function enabledFilter(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined
  return !['0', 'false', 'no', 'off'].includes(value.toLowerCase())
}

/** Admin CRUD for domains, projects, users, roles and role assignments (Keystone v3). */
export function directoryRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { directory } = ctx.services
  const base = () => `${ctx.publicUrl()}/identity`

  return async (app) => {
    // Domains: read-only; Lifeboat has the default domain.
    app.get('/v3/domains', { schema: { querystring: NameQuery, response: DomainListResponse } }, async (req) => {
      authorize(req.auth, 'identity:list_domains', 'admin')
      const domains = await directory.listDomains({ name: req.query.name })
      return { domains: domains.map((d) => domainView(d, base())), links: listLinks(base(), '/v3/domains') }
    })
    app.get('/v3/domains/:id', { schema: { params: IdParams, response: DomainResponse } }, async (req) => {
      const domain = await directory.getDomain(req.params.id)
      if (!(req.auth.isAdmin || req.auth.userDomainId === domain.id || req.auth.projectDomainId === domain.id)) authorize(req.auth, 'identity:get_domain', 'admin')
      return { domain: domainView(domain, base()) }
    })

    app.get('/v3/projects', { schema: { querystring: NameQuery, response: ProjectListResponse } }, async (req) => {
      authorize(req.auth, 'identity:list_projects', 'admin')
      const q = req.query
      const projects = await directory.listProjects({ name: q.name, domainId: q.domain_id, enabled: enabledFilter(q.enabled) })
      return { projects: projects.map((p) => projectView(p, base())), links: listLinks(base(), '/v3/projects') }
    })
    app.get('/v3/projects/:id', { schema: { params: IdParams, response: ProjectResponse } }, async (req) => {
      if (req.auth.projectId !== req.params.id) authorize(req.auth, 'identity:get_project', 'admin')
      return { project: projectView(await directory.getProject(req.params.id), base()) }
    })
    app.post('/v3/projects', { schema: { body: ProjectCreate, response: ProjectResponse } }, async (req, reply) => {
      authorize(req.auth, 'identity:create_project', 'admin')
      const p = req.body.project
      const project = await directory.createProject({ name: p.name, domainId: p.domain_id, description: p.description ?? undefined, enabled: p.enabled })
      reply.status(201)
      return { project: projectView(project, base()) }
    })
    app.patch('/v3/projects/:id', { schema: { params: IdParams, body: ProjectUpdate, response: ProjectResponse } }, async (req) => {
      authorize(req.auth, 'identity:update_project', 'admin')
      const p = req.body.project
      const project = await directory.updateProject(req.params.id, { name: p.name, description: p.description ?? undefined, enabled: p.enabled })
      return { project: projectView(project, base()) }
    })
    app.delete('/v3/projects/:id', { schema: { params: IdParams } }, async (req, reply) => {
      authorize(req.auth, 'identity:delete_project', 'admin')
      await directory.deleteProject(req.params.id)
      reply.status(204).send()
    })

    app.get('/v3/users', { schema: { querystring: NameQuery, response: UserListResponse } }, async (req) => {
      authorize(req.auth, 'identity:list_users', 'admin')
      const q = req.query
      const users = await directory.listUsers({ name: q.name, domainId: q.domain_id, enabled: enabledFilter(q.enabled) })
      return { users: users.map((u) => userView(u, base())), links: listLinks(base(), '/v3/users') }
    })
    app.get('/v3/users/:id', { schema: { params: IdParams, response: UserResponse } }, async (req) => {
      if (req.auth.userId !== req.params.id) authorize(req.auth, 'identity:get_user', 'admin')
      return { user: userView(await directory.getUser(req.params.id), base()) }
    })
    app.post('/v3/users', { schema: { body: UserCreate, response: UserResponse } }, async (req, reply) => {
      authorize(req.auth, 'identity:create_user', 'admin')
      const u = req.body.user
      const user = await directory.createUser({
        name: u.name, domainId: u.domain_id, password: u.password ?? undefined, email: u.email ?? undefined,
        description: u.description ?? undefined, defaultProjectId: u.default_project_id ?? undefined, enabled: u.enabled,
      })
      reply.status(201)
      return { user: userView(user, base()) }
    })
    app.patch('/v3/users/:id', { schema: { params: IdParams, body: UserUpdate, response: UserResponse } }, async (req) => {
      authorize(req.auth, 'identity:update_user', 'admin')
      const u = req.body.user
      const user = await directory.updateUser(req.params.id, {
        name: u.name, password: u.password ?? undefined, email: u.email ?? undefined, description: u.description ?? undefined,
        defaultProjectId: u.default_project_id, enabled: u.enabled,
      })
      return { user: userView(user, base()) }
    })
    app.delete('/v3/users/:id', { schema: { params: IdParams } }, async (req, reply) => {
      authorize(req.auth, 'identity:delete_user', 'admin')
      await directory.deleteUser(req.params.id)
      reply.status(204).send()
    })
    app.get('/v3/users/:id/projects', { schema: { params: IdParams, response: ProjectListResponse } }, async (req) => {
      if (req.auth.userId !== req.params.id) authorize(req.auth, 'identity:list_user_projects', 'admin')
      await directory.getUser(req.params.id)
      const projects = await directory.projectsOfUser(req.params.id)
      return { projects: projects.map((p) => projectView(p, base())), links: listLinks(base(), `/v3/users/${req.params.id}/projects`) }
    })

    app.get('/v3/roles', { schema: { querystring: NameQuery, response: RoleListResponse } }, async (req) => {
      authorize(req.auth, 'identity:list_roles', 'admin')
      const roles = await directory.listRoles({ name: req.query.name })
      return { roles: roles.map((r) => roleView(r, base())), links: listLinks(base(), '/v3/roles') }
    })
    app.get('/v3/roles/:id', { schema: { params: IdParams, response: RoleResponse } }, async (req) => {
      authorize(req.auth, 'identity:get_role', 'admin')
      return { role: roleView(await directory.getRole(req.params.id), base()) }
    })
    app.post('/v3/roles', { schema: { body: RoleCreate, response: RoleResponse } }, async (req, reply) => {
      authorize(req.auth, 'identity:create_role', 'admin')
      const role = await directory.createRole({ name: req.body.role.name, description: req.body.role.description ?? undefined })
      reply.status(201)
      return { role: roleView(role, base()) }
    })
    app.delete('/v3/roles/:id', { schema: { params: IdParams } }, async (req, reply) => {
      authorize(req.auth, 'identity:delete_role', 'admin')
      await directory.deleteRole(req.params.id)
      reply.status(204).send()
    })

    app.put('/v3/projects/:projectId/users/:userId/roles/:roleId', { schema: { params: AssignmentParams } }, async (req, reply) => {
      authorize(req.auth, 'identity:create_grant', 'admin')
      await directory.grantRole(req.params.projectId, req.params.userId, req.params.roleId)
      reply.status(204).send()
    })
    app.head('/v3/projects/:projectId/users/:userId/roles/:roleId', { schema: { params: AssignmentParams } }, async (req, reply) => {
      authorize(req.auth, 'identity:check_grant', 'admin')
      const { projectId, userId, roleId } = req.params
      if (!(await directory.hasRoleAssignment(projectId, userId, roleId))) throw new NotFound(`Could not find role assignment with role: ${roleId}, user or group: ${userId}, project, domain, or system: ${projectId}.`)
      reply.status(204).send()
    })
    app.get('/v3/projects/:projectId/users/:userId/roles/:roleId', { schema: { params: AssignmentParams } }, async (req, reply) => {
      authorize(req.auth, 'identity:check_grant', 'admin')
      const { projectId, userId, roleId } = req.params
      if (!(await directory.hasRoleAssignment(projectId, userId, roleId))) throw new NotFound(`Could not find role assignment with role: ${roleId}, user or group: ${userId}, project, domain, or system: ${projectId}.`)
      reply.status(204).send()
    })
    app.delete('/v3/projects/:projectId/users/:userId/roles/:roleId', { schema: { params: AssignmentParams } }, async (req, reply) => {
      authorize(req.auth, 'identity:revoke_grant', 'admin')
      await directory.revokeRole(req.params.projectId, req.params.userId, req.params.roleId)
      reply.status(204).send()
    })
    app.get('/v3/projects/:projectId/users/:userId/roles', { schema: { response: RoleListResponse } }, async (req) => {
      authorize(req.auth, 'identity:list_grants', 'admin')
      const { projectId, userId } = req.params as { projectId: string; userId: string }
      await directory.getProject(projectId)
      await directory.getUser(userId)
      const rows = await directory.listRoleAssignments({ projectId, userId })
      const roles = await Promise.all(rows.map((r) => directory.getRole(r.role_id)))
      return { roles: roles.map((r) => roleView(r, base())), links: listLinks(base(), `/v3/projects/${projectId}/users/${userId}/roles`) }
    })

    app.get('/v3/role_assignments', { schema: { response: RoleAssignmentListResponse } }, async (req) => {
      const q = req.query as Record<string, string | undefined>
      const userId = q['user.id']
      if (!(userId !== undefined && userId === req.auth.userId)) authorize(req.auth, 'identity:list_role_assignments', 'admin')
      const rows = await directory.listRoleAssignments({ userId, projectId: q['scope.project.id'], roleId: q['role.id'] })
      const domains = new Map((await directory.listDomains()).map((d) => [d.id, d.name]))
      const includeNames = q.include_names !== undefined && !['0', 'false'].includes(q.include_names.toLowerCase())
      return {
        role_assignments: rows.map((r) => roleAssignmentView(r, base(), includeNames, (id) => domains.get(id) ?? id)),
        links: listLinks(base(), '/v3/role_assignments'),
      }
    })

    app.get('/v3/services', { schema: { response: ServiceListResponse } }, async (req) => {
      authorize(req.auth, 'identity:list_services', 'admin')
      const q = req.query as Record<string, string | undefined>
      const services = catalogServices(ctx.publicUrl(), ctx.config.region).filter((s) => q.type === undefined || s.type === q.type)
      return {
        services: services.map((s) => ({ id: s.id, type: s.type, name: s.name, enabled: true, description: '', links: { self: `${base()}/v3/services/${s.id}` } })),
        links: listLinks(base(), '/v3/services'),
      }
    })
    app.get('/v3/endpoints', { schema: { response: EndpointListResponse } }, async (req) => {
      authorize(req.auth, 'identity:list_endpoints', 'admin')
      const endpoints = catalogServices(ctx.publicUrl(), ctx.config.region).flatMap((s) =>
        s.endpoints.map((e) => ({ id: e.id, interface: e.interface, region: e.region, region_id: e.region_id, url: e.url, service_id: s.id, enabled: true, links: { self: `${base()}/v3/endpoints/${e.id}` } })))
      return { endpoints, links: listLinks(base(), '/v3/endpoints') }
    })
    app.get('/v3/regions', { schema: { response: RegionListResponse } }, async () => ({
      regions: [{ id: ctx.config.region, description: '', parent_region_id: null, links: { self: `${base()}/v3/regions/${ctx.config.region}` } }],
      links: listLinks(base(), '/v3/regions'),
    }))
  }
}
