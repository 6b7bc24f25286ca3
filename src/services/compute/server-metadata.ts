import type { Store } from './ports.js'
import type { CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { getInstanceRow } from './instance-store.js'
import { assertNotLocked } from './instance-guards.js'
import { nowIso } from '../time.js'
import { checkMetadataQuota } from './compute-quotas.js'

const MAX_TAGS = 50

async function metadataOf(deps: Store, uuid: string): Promise<Record<string, string>> {
  const rows = await deps.db.selectFrom('instance_metadata').select(['key', 'value']).where('instance_uuid', '=', uuid).orderBy('key').execute()
  return Object.fromEntries(rows.map((r) => [r.key, r.value]))
}

/** Server metadata: list, replace all, merge, show one, set one, delete one. */
export class ServerMetadata {
  readonly #deps: Store

  constructor(deps: Store) {
    this.#deps = deps
  }

  async list(call: CallContext, id: string): Promise<Record<string, string>> {
    const row = await getInstanceRow(this.#deps.db, authorize(call.auth, 'os_compute_api:server-metadata:index', 'reader'), id)
    return metadataOf(this.#deps, row.uuid)
  }

  /** PUT replaces everything; POST (`replace: false`) merges. */
  async set(call: CallContext, id: string, metadata: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    const auth = authorize(call.auth, 'os_compute_api:server-metadata:update', 'member')
    const row = await getInstanceRow(this.#deps.db, auth, id)
    assertNotLocked(auth, row)
    const merged = replace ? metadata : { ...(await metadataOf(this.#deps, row.uuid)), ...metadata }
    await checkMetadataQuota(this.#deps.db, row.project_id, Object.keys(merged).length)
    await this.#deps.db.transaction().execute(async (trx) => {
      if (replace) await trx.deleteFrom('instance_metadata').where('instance_uuid', '=', row.uuid).execute()
      for (const [key, value] of Object.entries(metadata)) {
        await trx.deleteFrom('instance_metadata').where('instance_uuid', '=', row.uuid).where('key', '=', key).execute()
        await trx.insertInto('instance_metadata').values({ instance_uuid: row.uuid, key, value }).execute()
      }
      await trx.updateTable('instances').set({ updated_at: nowIso() }).where('uuid', '=', row.uuid).execute()
    })
    return metadataOf(this.#deps, row.uuid)
  }

  async show(call: CallContext, id: string, key: string): Promise<string> {
    const metadata = await this.list(call, id)
    if (!Object.hasOwn(metadata, key)) throw new NotFound('Metadata item was not found')
    return metadata[key]!
  }

  async remove(call: CallContext, id: string, key: string): Promise<void> {
    const auth = authorize(call.auth, 'os_compute_api:server-metadata:delete', 'member')
    const row = await getInstanceRow(this.#deps.db, auth, id)
    assertNotLocked(auth, row)
    const result = await this.#deps.db.deleteFrom('instance_metadata').where('instance_uuid', '=', row.uuid).where('key', '=', key).executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) throw new NotFound('Metadata item was not found')
  }
}

/** Server tags (2.26): list, replace all, add one, check one, delete one, delete all. */
export class ServerTags {
  readonly #deps: Store

  constructor(deps: Store) {
    this.#deps = deps
  }

  async list(call: CallContext, id: string): Promise<string[]> {
    const row = await getInstanceRow(this.#deps.db, authorize(call.auth, 'os_compute_api:os-server-tags:index', 'reader'), id)
    return (await this.#deps.db.selectFrom('instance_tags').select('tag').where('instance_uuid', '=', row.uuid).orderBy('tag').execute()).map((t) => t.tag)
  }

  async replace(call: CallContext, id: string, tags: string[]): Promise<string[]> {
    const row = await getInstanceRow(this.#deps.db, authorize(call.auth, 'os_compute_api:os-server-tags:update_all', 'member'), id)
    const unique = [...new Set(tags)]
    if (unique.length > MAX_TAGS) throw new InvalidRequest(`The number of tags exceeded the per-server limit ${MAX_TAGS}`)
    await this.#deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('instance_tags').where('instance_uuid', '=', row.uuid).execute()
      for (const tag of unique) await trx.insertInto('instance_tags').values({ instance_uuid: row.uuid, tag }).execute()
    })
    return unique.sort()
  }

  /** Adds one tag; true when it was new (201), false when it existed (204). */
  async add(call: CallContext, id: string, tag: string): Promise<boolean> {
    const row = await getInstanceRow(this.#deps.db, authorize(call.auth, 'os_compute_api:os-server-tags:update', 'member'), id)
    const existing = await this.#deps.db.selectFrom('instance_tags').select('tag').where('instance_uuid', '=', row.uuid).execute()
    if (existing.some((t) => t.tag === tag)) return false
    if (existing.length >= MAX_TAGS) throw new InvalidRequest(`The number of tags exceeded the per-server limit ${MAX_TAGS}`)
    await this.#deps.db.insertInto('instance_tags').values({ instance_uuid: row.uuid, tag }).execute()
    return true
  }

  async has(call: CallContext, id: string, tag: string): Promise<void> {
    if (!(await this.list(call, id)).includes(tag)) throw new NotFound(`Tag ${tag} could not be found.`)
  }

  async remove(call: CallContext, id: string, tag: string | null): Promise<void> {
    const row = await getInstanceRow(this.#deps.db, authorize(call.auth, 'os_compute_api:os-server-tags:delete', 'member'), id)
    let query = this.#deps.db.deleteFrom('instance_tags').where('instance_uuid', '=', row.uuid)
    if (tag !== null) query = query.where('tag', '=', tag)
    const result = await query.executeTakeFirst()
    if (tag !== null && Number(result.numDeletedRows) === 0) throw new NotFound(`Tag ${tag} could not be found.`)
  }
}
