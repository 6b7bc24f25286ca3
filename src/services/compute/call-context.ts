import type { AuthContext } from '../identity/auth-context.js'
import type { ActionContext } from './instance-actions.js'

/** Who calls a compute operation, and from which request (for instance actions). */
export interface CallContext {
  auth: AuthContext
  requestId: string
}

/** The instance-action context of a call. */
export function actionContext(call: CallContext): ActionContext {
  return { requestId: call.requestId, projectId: call.auth.projectId ?? '', userId: call.auth.userId }
}

/** An internal caller acting for the owner of an instance (the conductor, periodic jobs). */
export function ownerAuth(projectId: string, userId: string): AuthContext {
  return {
    userId, userName: 'lifeboat', userDomainId: 'default', projectId, projectName: null, projectDomainId: 'default',
    roles: ['member', 'reader'], isAdmin: false, tokenHash: '', auditId: '', methods: [], issuedAt: '', expiresAt: '',
  }
}
