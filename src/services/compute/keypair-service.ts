import { sql } from 'kysely'
import type { Store } from '../store.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { KeypairsTable } from '../../db/tables/compute-tables.js'
import { PolicyNotAuthorized, authorize } from '../policy.js'
import { Forbidden, InvalidRequest } from '../errors.js'
import { nowIso } from '../time.js'
import { generateSshKeypair, sshFingerprint, x509Fingerprint } from './keypair-keys.js'
import { isUniqueViolation } from './unique-violation.js'
import { computeUserQuotas, DEFAULT_QUOTAS } from './compute-quotas.js'
import { fits } from '../quotas/quota-store.js'
import { ServiceErrorCode } from '../error-codes.js'
import { KeypairExists, KeypairNotFound } from './compute-errors.js'

/** A keypair as servers use it. */
export interface KeypairRecord {
  name: string
  userId: string
  type: 'ssh' | 'x509'
  publicKey: string
  fingerprint: string
  createdAt: string
  /** Nova's integer database id (shown by `GET /os-keypairs/{name}`). */
  id: number
}

/** What `POST /os-keypairs` asks for (schema-checked). */
export interface KeypairCreate {
  name: string
  type?: 'ssh' | 'x509'
  publicKey?: string
  /** 2.10+: admins may create for another user. */
  userId?: string
}

function recordOf(row: KeypairsTable): KeypairRecord {
  return {
    name: row.name, userId: row.user_id, type: row.type === 'x509' ? 'x509' : 'ssh', publicKey: row.public_key,
    fingerprint: row.fingerprint, createdAt: row.created_at, id: Number(row.id),
  }
}

/** Nova keypairs: per user, generated (private key returned once) or imported. */
export class KeypairService {
  readonly #deps: Store

  constructor(deps: Store) {
    this.#deps = deps
  }

  /** The user's keypair by name; null when absent. */
  async findKeypair(userId: string, name: string): Promise<KeypairRecord | null> {
    const row = await this.#deps.db.selectFrom('keypairs').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst()
    return row ? recordOf(row) : null
  }

  /** Policy "admin or owner": whose keypairs the caller acts on (another user's only for admins). */
  #targetUser(auth: AuthContext, rule: string, userId: string | undefined): string {
    authorize(auth, rule, 'reader')
    const target = userId ?? auth.userId
    if (target !== auth.userId && !auth.isAdmin) throw new PolicyNotAuthorized(rule)
    return target
  }

  /**
   * Creates (generates) or imports a keypair. The private key of a generated
   * keypair is returned here only; it is never stored. 409 on a taken name,
   * 403 over the keypair quota, 400 for a public key that does not parse.
   */
  async createKeypair(auth: AuthContext, input: KeypairCreate): Promise<{ keypair: KeypairRecord; privateKey?: string }> {
    const userId = this.#targetUser(auth, 'os_compute_api:os-keypairs:create', input.userId)
    const type = input.type ?? 'ssh'
    let publicKey: string
    let fingerprint: string
    let privateKey: string | undefined
    if (input.publicKey !== undefined) {
      publicKey = input.publicKey
      fingerprint = type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey)
    } else if (type === 'x509') {
      // Nova makes a WinRM certificate here; Lifeboat has no X.509 issuer, so x509 keypairs must be imported.
      throw new InvalidRequest('Keypair data is invalid: generating x509 keypairs is not supported; import a certificate as public_key', ServiceErrorCode.INVALID_KEYPAIR)
    } else {
      ;({ publicKey, fingerprint, privateKey } = generateSshKeypair())
    }
    const db = this.#deps.db
    const keypair = await db.transaction().execute(async (trx) => {
      const count = await trx.selectFrom('keypairs').select((eb) => eb.fn.countAll<string | number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()
      // key_pairs counts per user (as Nova); the limit is the user's own in the caller's project, else the project's.
      const limit = auth.projectId ? (await computeUserQuotas(trx, auth.projectId, userId)).key_pairs : DEFAULT_QUOTAS.key_pairs
      if (!fits(limit, Number(count.n), 1)) throw new Forbidden('Quota exceeded, too many key pairs.', ServiceErrorCode.KEYPAIR_LIMIT)
      if (await trx.selectFrom('keypairs').select('id').where('user_id', '=', userId).where('name', '=', input.name).executeTakeFirst()) {
        throw new KeypairExists(input.name)
      }
      // Nova shows an integer id; the column is text, so the next id is max + 1 over the numeric ids.
      const max = await trx.selectFrom('keypairs').select(sql<string | number | null>`max(cast(id as integer))`.as('m')).executeTakeFirstOrThrow()
      const row: KeypairsTable = {
        id: String(Number(max.m ?? 0) + 1), user_id: userId, name: input.name, type, public_key: publicKey, fingerprint, created_at: nowIso(),
      }
      await trx.insertInto('keypairs').values(row).execute()
      return recordOf(row)
    }).catch((error: unknown) => {
      if (isUniqueViolation(error)) throw new KeypairExists(input.name)
      throw error
    })
    return { keypair, privateKey }
  }

  /** `GET /os-keypairs/{name}`: the caller's (or, for admins, `userId`'s) keypair; 404 otherwise. */
  async getKeypair(auth: AuthContext, name: string, userId?: string): Promise<KeypairRecord> {
    const target = this.#targetUser(auth, 'os_compute_api:os-keypairs:show', userId)
    const keypair = await this.findKeypair(target, name)
    if (!keypair) throw new KeypairNotFound(name, target)
    return keypair
  }

  /** `GET /os-keypairs`: a user's keypairs by name; `marker` is a name (400 when unknown). */
  async listKeypairs(auth: AuthContext, options: { userId?: string; limit?: number; marker?: string } = {}): Promise<KeypairRecord[]> {
    const target = this.#targetUser(auth, 'os_compute_api:os-keypairs:index', options.userId)
    let query = this.#deps.db.selectFrom('keypairs').selectAll().where('user_id', '=', target).orderBy('name')
    if (options.marker !== undefined) {
      if (!(await this.findKeypair(target, options.marker))) throw new InvalidRequest(`Marker ${options.marker} could not be found.`, ServiceErrorCode.MARKER_NOT_FOUND)
      query = query.where('name', '>', options.marker)
    }
    if (options.limit !== undefined) query = query.limit(options.limit)
    return (await query.execute()).map(recordOf)
  }

  /** `DELETE /os-keypairs/{name}`: 404 when the user has no such keypair. */
  async deleteKeypair(auth: AuthContext, name: string, userId?: string): Promise<void> {
    const target = this.#targetUser(auth, 'os_compute_api:os-keypairs:delete', userId)
    const result = await this.#deps.db.deleteFrom('keypairs').where('user_id', '=', target).where('name', '=', name).executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) throw new KeypairNotFound(name, target)
  }
}
