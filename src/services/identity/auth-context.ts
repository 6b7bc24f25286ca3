/** Who is calling, as established from a validated token. Carries no HTTP types. */
export interface AuthContext {
  userId: string
  userName: string
  userDomainId: string
  /** Null for an unscoped token. */
  projectId: string | null
  projectName: string | null
  projectDomainId: string | null
  /** Effective role names in the project, implied roles included. */
  roles: string[]
  isAdmin: boolean
  tokenHash: string
  auditId: string
  methods: string[]
  issuedAt: string
  expiresAt: string
}
