/** Row types of the identity tables. Booleans are stored as 0/1 for both dialects. */
export interface DomainsTable {
  id: string
  name: string
  description: string
  enabled: number
}

export interface ProjectsTable {
  id: string
  name: string
  domain_id: string
  description: string
  enabled: number
  created_at: string
}

export interface UsersTable {
  id: string
  name: string
  domain_id: string
  password_hash: string | null
  email: string | null
  description: string
  default_project_id: string | null
  enabled: number
  created_at: string
}

export interface RolesTable {
  id: string
  name: string
  description: string
}

export interface RoleAssignmentsTable {
  user_id: string
  project_id: string
  role_id: string
}

export interface TokensTable {
  id_hash: string
  user_id: string
  project_id: string | null
  methods: string
  audit_id: string
  issued_at: string
  expires_at: string
  revoked: number
}

export interface IdentityTables {
  domains: DomainsTable
  projects: ProjectsTable
  users: UsersTable
  roles: RolesTable
  role_assignments: RoleAssignmentsTable
  tokens: TokensTable
}
