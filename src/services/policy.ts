import type { AuthContext } from './identity/auth-context.js'
import { LifeboatError, Unauthorized } from './errors.js'
import { ServiceErrorCode } from './error-codes.js'

/** The default roles, each implying the ones before it: reader ⊂ member ⊂ admin. */
export const ROLE_HIERARCHY = ['reader', 'member', 'admin'] as const
export type DefaultRole = (typeof ROLE_HIERARCHY)[number]

/** Roles a role implies, itself included (`admin` → admin, member, reader). */
export function impliedRoles(role: string): string[] {
  const index = ROLE_HIERARCHY.indexOf(role as DefaultRole)
  return index < 0 ? [role] : ROLE_HIERARCHY.slice(0, index + 1).reverse()
}

/** 403 for a policy rule that does not allow the caller; `rule` names it like oslo.policy. */
export class PolicyNotAuthorized extends LifeboatError {
  readonly rule: string
  constructor(rule: string) {
    super(`Policy doesn't allow ${rule} to be performed.`, ServiceErrorCode.POLICY_NOT_AUTHORIZED, 403)
    this.rule = rule
  }
}

/**
 * The oslo.policy-like defaults: `admin` (admin role), `member` and `reader`
 * (that role in the token's project, or admin). Throws PolicyNotAuthorized.
 */
export function authorize(auth: AuthContext | null | undefined, rule: string, needs: DefaultRole): AuthContext {
  if (!auth) throw new Unauthorized()
  if (auth.isAdmin) return auth
  if (needs !== 'admin' && auth.projectId !== null && auth.roles.includes(needs)) return auth
  throw new PolicyNotAuthorized(rule)
}

/** The project the caller acts in; an unscoped token can't act on project resources. */
export function scopedProjectId(auth: AuthContext, rule: string): string {
  if (auth.projectId === null) throw new PolicyNotAuthorized(rule)
  return auth.projectId
}
