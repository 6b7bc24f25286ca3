import { createHash, randomUUID } from 'node:crypto'
import type { Store } from '../store.js'
import type { Db } from '../../db/schema.js'

/** Nova's console types Lifeboat serves: the serial console and noVNC. */
export type ConsoleType = 'serial' | 'novnc'

/** What a valid token opens (Nova's `ConsoleAuthToken` object, without the token). */
export interface ConsoleTarget {
  id: string
  consoleType: ConsoleType
  instanceUuid: string
  projectId: string
  /** The compute host that ran the instance when the token was issued. */
  host: string
  accessUrlBase: string
  expiresAt: string
}

/** Nova's `[consoleauth] token_ttl`: how long a console URL works. */
export const CONSOLE_TOKEN_TTL_SECONDS = 600

/** Only this is stored: the token itself never reaches the database or a log. */
export function hashConsoleToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/**
 * Console URL tokens, as Nova's `ConsoleAuthToken`: random (a UUID, as
 * Nova's), stored as a SHA-256, bound to one instance and one console type,
 * refused after `ttlSeconds`. The API issues them (`remote-consoles`,
 * `os-getSerialConsole`, `os-getVNCConsole`), the console proxy validates
 * them, an admin reads one (`os-console-auth-tokens`).
 */
export class ConsoleTokens {
  readonly #deps: Store
  readonly #ttlSeconds: number
  constructor(deps: Store, ttlSeconds = CONSOLE_TOKEN_TTL_SECONDS) {
    this.#deps = deps
    this.#ttlSeconds = ttlSeconds
  }

  /** A new token for `target` (the caller checked policy and state). Expired tokens are swept on the way. */
  async issue(target: Omit<ConsoleTarget, 'id' | 'expiresAt'>, db: Db = this.#deps.db): Promise<{ token: string; target: ConsoleTarget }> {
    const token = randomUUID()
    const now = new Date()
    const row = {
      id: randomUUID(),
      token_hash: hashConsoleToken(token),
      console_type: target.consoleType,
      instance_uuid: target.instanceUuid,
      project_id: target.projectId,
      host: target.host,
      access_url_base: target.accessUrlBase,
      expires_at: new Date(now.getTime() + this.#ttlSeconds * 1000).toISOString(),
      created_at: now.toISOString(),
    }
    await db.deleteFrom('console_auth_tokens').where('expires_at', '<=', now.toISOString()).execute()
    await db.insertInto('console_auth_tokens').values(row).execute()
    return { token, target: { ...target, id: row.id, expiresAt: row.expires_at } }
  }

  /** The target of an unexpired token, or null (unknown, expired, malformed alike). */
  async validate(token: string): Promise<ConsoleTarget | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 255) return null
    const row = await this.#deps.db.selectFrom('console_auth_tokens').selectAll()
      .where('token_hash', '=', hashConsoleToken(token))
      .where('expires_at', '>', new Date().toISOString())
      .executeTakeFirst()
    if (!row) return null
    return {
      id: row.id,
      consoleType: row.console_type as ConsoleType,
      instanceUuid: row.instance_uuid,
      projectId: row.project_id,
      host: row.host,
      accessUrlBase: row.access_url_base,
      expiresAt: row.expires_at,
    }
  }

  /** Forgets every token of an instance (Nova's `clean_console_auths_for_instance`: delete, rebuild, move). */
  async revokeForInstance(instanceUuid: string, db: Db = this.#deps.db): Promise<void> {
    await db.deleteFrom('console_auth_tokens').where('instance_uuid', '=', instanceUuid).execute()
  }
}
