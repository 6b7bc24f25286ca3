import type { AuthContext } from '../../services/identity/auth-context.js'
import type { CatalogEntry } from '../../services/identity/catalog.js'
import type { DomainRow, ProjectRow, RoleAssignmentRow, RoleRow, UserRow } from '../../services/identity/directory.js'
import { keystoneTime } from '../../services/time.js'

/** Domain names by id, for the nested `domain` objects of token bodies. */
export type DomainNames = (id: string) => string

export function domainView(row: DomainRow, base: string) {
  return {
    id: row.id, name: row.name, description: row.description, enabled: row.enabled === 1, tags: [], options: {},
    links: { self: `${base}/v3/domains/${row.id}` },
  }
}

export function projectView(row: ProjectRow, base: string) {
  return {
    id: row.id, name: row.name, domain_id: row.domain_id, description: row.description, enabled: row.enabled === 1,
    parent_id: row.domain_id, is_domain: false, tags: [], options: {},
    links: { self: `${base}/v3/projects/${row.id}` },
  }
}

export function userView(row: UserRow, base: string) {
  return {
    id: row.id, name: row.name, domain_id: row.domain_id, enabled: row.enabled === 1,
    password_expires_at: null, options: {},
    ...(row.email ? { email: row.email } : {}),
    ...(row.description ? { description: row.description } : {}),
    ...(row.default_project_id ? { default_project_id: row.default_project_id } : {}),
    links: { self: `${base}/v3/users/${row.id}` },
  }
}

export function roleView(row: RoleRow, base: string) {
  return {
    id: row.id, name: row.name, domain_id: null, description: row.description || null, options: {},
    links: { self: `${base}/v3/roles/${row.id}` },
  }
}

export function roleAssignmentView(row: RoleAssignmentRow, base: string, includeNames: boolean, domainName: DomainNames) {
  const named = <T extends object>(value: T, extra: object) => (includeNames ? { ...value, ...extra } : value)
  return {
    role: named({ id: row.role_id }, { name: row.role_name }),
    user: named({ id: row.user_id }, { name: row.user_name, domain: { id: row.user_domain_id, name: domainName(row.user_domain_id) } }),
    scope: { project: named({ id: row.project_id }, { name: row.project_name, domain: { id: row.project_domain_id, name: domainName(row.project_domain_id) } }) },
    links: { assignment: `${base}/v3/projects/${row.project_id}/users/${row.user_id}/roles/${row.role_id}` },
  }
}

export function listLinks(base: string, path: string) {
  return { self: `${base}${path}`, previous: null, next: null }
}

/** The body of a token response (POST and GET /v3/auth/tokens). */
export function tokenView(auth: AuthContext, roleIds: Map<string, string>, domainName: DomainNames, catalog: CatalogEntry[] | null) {
  return {
    token: {
      methods: auth.methods,
      user: { domain: { id: auth.userDomainId, name: domainName(auth.userDomainId) }, id: auth.userId, name: auth.userName, password_expires_at: null },
      audit_ids: [auth.auditId],
      expires_at: keystoneTime(auth.expiresAt),
      issued_at: keystoneTime(auth.issuedAt),
      ...(auth.projectId !== null
        ? {
            project: { domain: { id: auth.projectDomainId!, name: domainName(auth.projectDomainId!) }, id: auth.projectId, name: auth.projectName! },
            is_domain: false,
            roles: auth.roles.map((name) => ({ id: roleIds.get(name) ?? name, name })),
          }
        : {}),
      ...(catalog !== null ? { catalog } : {}),
    },
  }
}
