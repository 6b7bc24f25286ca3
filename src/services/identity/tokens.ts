import { createHash, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { AuthContext } from './auth-context.js'
import { InvalidRequest, NotFound, Unauthorized } from '../errors.js'
import { verifyPassword } from './passwords.js'
import { impliedRoles } from '../policy.js'

/** How a token request names its user and proves who it is. */
export type TokenIdentity =
  | { method: 'password'; userId?: string; userName?: string; domainId?: string; domainName?: string; password: string }
  | { method: 'token'; token: string }

/** What a token request asks to be scoped to. */
export type TokenScope =
  | { kind: 'default' }
  | { kind: 'unscoped' }
  | { kind: 'project'; projectId?: string; projectName?: string; domainId?: string; domainName?: string }

export interface IssuedToken {
  token: string
  auth: AuthContext
}

/** sha256 of a token: the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

const CACHE_MS = 2000

/**
 * Issues, validates and revokes opaque bearer tokens. Tokens are random,
 * stored hashed, and expire; validation results are cached for a moment.
 */
export class TokenService {
  readonly #db: Kysely<Database>
  readonly #ttlSeconds: number
  readonly #cache = new Map<string, { auth: AuthContext; until: number }>()

  constructor(db: Kysely<Database>, ttlSeconds: number) {
    this.#db = db
    this.#ttlSeconds = ttlSeconds
  }

  /** POST /v3/auth/tokens: authenticate, pick the scope, store the hashed token. */
  async issue(identity: TokenIdentity, scope: TokenScope): Promise<IssuedToken> {
    let userId: string
    let methods: string[]
    let expiresAt: string
    let inheritedProject: string | null = null
    if (identity.method === 'password') {
      userId = await this.#checkPassword(identity)
      methods = ['password']
      expiresAt = new Date(Date.now() + this.#ttlSeconds * 1000).toISOString()
    } else {
      const original = await this.validate(identity.token)
      userId = original.userId
      methods = ['token']
      expiresAt = original.expiresAt
      inheritedProject = original.projectId
    }
    const user = await this.#db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow()
    let projectId: string | null = null
    if (scope.kind === 'project') projectId = await this.#resolveProject(scope)
    else if (scope.kind === 'default') {
      projectId = identity.method === 'token' ? inheritedProject : user.default_project_id
      if (projectId !== null && !(await this.#hasAnyRole(userId, projectId))) projectId = null
    }
    if (projectId !== null && !(await this.#hasAnyRole(userId, projectId))) {
      throw new Unauthorized(`User ${userId} has no access to project ${projectId}`)
    }
    const token = randomBytes(32).toString('base64url')
    const now = new Date().toISOString()
    await this.#db
      .insertInto('tokens')
      .values({
        id_hash: hashToken(token),
        user_id: userId,
        project_id: projectId,
        methods: JSON.stringify(methods),
        audit_id: randomBytes(16).toString('base64url').slice(0, 22),
        issued_at: now,
        expires_at: expiresAt,
        revoked: 0,
      })
      .execute()
    return { token, auth: await this.validate(token) }
  }

  /** Checks a token and returns who it stands for; 401 when unknown, expired or revoked. */
  async validate(token: string): Promise<AuthContext> {
    const tokenHash = hashToken(token)
    const cached = this.#cache.get(tokenHash)
    const now = Date.now()
    if (cached && cached.until > now && Date.parse(cached.auth.expiresAt) > now) return cached.auth
    const row = await this.#db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .leftJoin('projects', 'projects.id', 'tokens.project_id')
      .select([
        'tokens.user_id', 'tokens.project_id', 'tokens.methods', 'tokens.audit_id', 'tokens.issued_at',
        'tokens.expires_at', 'tokens.revoked', 'users.name as user_name', 'users.domain_id as user_domain_id',
        'users.enabled as user_enabled', 'projects.name as project_name', 'projects.domain_id as project_domain_id',
        'projects.enabled as project_enabled',
      ])
      .where('tokens.id_hash', '=', tokenHash)
      .executeTakeFirst()
    if (!row || row.revoked || Date.parse(row.expires_at) <= now || !row.user_enabled) {
      this.#cache.delete(tokenHash)
      throw new Unauthorized('The request you have made requires authentication.')
    }
    if (row.project_id !== null && !row.project_enabled) throw new Unauthorized()
    const roles = row.project_id === null ? [] : await this.effectiveRoles(row.user_id, row.project_id)
    if (row.project_id !== null && roles.length === 0) throw new Unauthorized()
    const auth: AuthContext = {
      userId: row.user_id,
      userName: row.user_name,
      userDomainId: row.user_domain_id,
      projectId: row.project_id,
      projectName: row.project_name ?? null,
      projectDomainId: row.project_domain_id ?? null,
      roles,
      isAdmin: roles.includes('admin'),
      tokenHash,
      auditId: row.audit_id,
      methods: JSON.parse(row.methods) as string[],
      issuedAt: row.issued_at,
      expiresAt: row.expires_at,
    }
    this.#cache.set(tokenHash, { auth, until: now + CACHE_MS })
    return auth
  }

  /** DELETE /v3/auth/tokens: the token stops working at once. */
  async revoke(token: string): Promise<void> {
    const tokenHash = hashToken(token)
    const result = await this.#db.updateTable('tokens').set({ revoked: 1 }).where('id_hash', '=', tokenHash).where('revoked', '=', 0).executeTakeFirst()
    this.#cache.delete(tokenHash)
    if (Number(result.numUpdatedRows) === 0) throw new NotFound('Could not find token.')
  }

  /** Forgets cached validations, e.g. after a role or user change. */
  invalidateCache(): void {
    this.#cache.clear()
  }

  /** Role names a user has in a project, implied roles included, sorted. */
  async effectiveRoles(userId: string, projectId: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('role_assignments')
      .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
      .select('roles.name')
      .where('role_assignments.user_id', '=', userId)
      .where('role_assignments.project_id', '=', projectId)
      .execute()
    return [...new Set(rows.flatMap((r) => impliedRoles(r.name)))].sort()
  }

  /** Drops expired tokens; called from a periodic job. */
  async purgeExpired(): Promise<number> {
    const result = await this.#db.deleteFrom('tokens').where('expires_at', '<', new Date().toISOString()).executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  async #checkPassword(identity: Extract<TokenIdentity, { method: 'password' }>): Promise<string> {
    let query = this.#db.selectFrom('users').innerJoin('domains', 'domains.id', 'users.domain_id').select(['users.id', 'users.password_hash', 'users.enabled'])
    if (identity.userId) query = query.where('users.id', '=', identity.userId)
    else if (identity.userName) {
      if (!identity.domainId && !identity.domainName) throw new InvalidRequest('Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.')
      query = query.where('users.name', '=', identity.userName)
      query = identity.domainId ? query.where('domains.id', '=', identity.domainId) : query.where('domains.name', '=', identity.domainName!)
    } else throw new InvalidRequest('Expecting to find id or name in user.')
    const user = await query.executeTakeFirst()
    // Unknown user and wrong password answer alike, and both pay for a hash.
    const ok = await verifyPassword(identity.password, user?.password_hash ?? 'scrypt$16384$8$1$AAAA$AAAA')
    if (!user || !ok || !user.enabled) throw new Unauthorized('The request you have made requires authentication.')
    return user.id
  }

  async #resolveProject(scope: Extract<TokenScope, { kind: 'project' }>): Promise<string> {
    let query = this.#db.selectFrom('projects').innerJoin('domains', 'domains.id', 'projects.domain_id').select(['projects.id', 'projects.enabled'])
    if (scope.projectId) query = query.where('projects.id', '=', scope.projectId)
    else if (scope.projectName) {
      if (!scope.domainId && !scope.domainName) throw new InvalidRequest('Expecting to find domain in project.')
      query = query.where('projects.name', '=', scope.projectName)
      query = scope.domainId ? query.where('domains.id', '=', scope.domainId) : query.where('domains.name', '=', scope.domainName!)
    } else throw new InvalidRequest('Expecting to find id or name in project.')
    const project = await query.executeTakeFirst()
    if (!project || !project.enabled) throw new Unauthorized('The request you have made requires authentication.')
    return project.id
  }

  async #hasAnyRole(userId: string, projectId: string): Promise<boolean> {
    const row = await this.#db.selectFrom('role_assignments').select('role_id').where('user_id', '=', userId).where('project_id', '=', projectId).executeTakeFirst()
    return row !== undefined
  }
}
