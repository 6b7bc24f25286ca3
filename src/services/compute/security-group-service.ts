import type { ServiceDeps } from '../service-deps.js'
import type { AuthContext } from '../identity/auth-context.js'

/**
 * Nova's own security groups (`os-security-groups`), served for clouds
 * without a network service: groups, rules, and their association to servers.
 */
export class SecurityGroupService {
  readonly #deps: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.#deps = deps
  }

  /** Creates the project's `default` group unless it exists; returns its id. */
  async ensureDefaultGroup(projectId: string): Promise<string> {
    void projectId
    void this.#deps
    throw new Error('not implemented')
  }

  /** Names of the groups a server is in, for the server view. */
  async groupNamesOfServer(instanceUuid: string): Promise<string[]> {
    void instanceUuid
    throw new Error('not implemented')
  }

  /** addSecurityGroup action: NotFound for an unknown group name in the caller's project; idempotency as Nova. */
  async addToServer(auth: AuthContext, instanceUuid: string, groupName: string): Promise<void> {
    void auth
    void instanceUuid
    void groupName
    throw new Error('not implemented')
  }

  /** removeSecurityGroup action: 404/400 as Nova when the group is unknown or not on the server. */
  async removeFromServer(auth: AuthContext, instanceUuid: string, groupName: string): Promise<void> {
    void auth
    void instanceUuid
    void groupName
    throw new Error('not implemented')
  }
}
