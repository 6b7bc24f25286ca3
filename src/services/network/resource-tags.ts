import type { Db } from '../../db/schema.js'
import { badRequest, NeutronError, NetworkErrorCode } from './network-errors.js'

/** Neutron's tag limits (neutron/extensions/tagging.py): 64 characters, 50 tags. */
const MAX_TAG_LENGTH = 60
const MAX_TAGS = 50

/** The resource kinds that take tags, as the URL names them, with the singular Neutron uses in messages. */
export const TAGGABLE = { networks: 'network', subnets: 'subnet', ports: 'port', routers: 'router', floatingips: 'floatingip', 'security-groups': 'security_group' } as const
export type TaggableCollection = keyof typeof TAGGABLE

function checkTag(tag: string): void {
  if (tag.length === 0 || tag.length > MAX_TAG_LENGTH) throw badRequest(`Invalid input for tags. Reason: '${tag}' exceeds maximum length of ${MAX_TAG_LENGTH}.`)
  if (tag.includes(',') || tag.includes('/')) throw badRequest(`Invalid input for tags. Reason: '${tag}' is not a valid tag.`)
}

/** A resource's tags, sorted. */
export async function listTags(db: Db, resourceId: string): Promise<string[]> {
  return (await db.selectFrom('network_tags').select('tag').where('resource_id', '=', resourceId).orderBy('tag').execute()).map((r) => r.tag)
}

/** `GET …/tags/{tag}`: 404 TagNotFound when absent. */
export async function checkTagPresent(db: Db, collection: TaggableCollection, resourceId: string, tag: string): Promise<void> {
  const row = await db.selectFrom('network_tags').select('tag').where('resource_id', '=', resourceId).where('tag', '=', tag).executeTakeFirst()
  if (!row) throw new NeutronError('TagNotFound', `Tag ${tag} could not be found for ${TAGGABLE[collection]} ${resourceId}.`, 404, NetworkErrorCode.NOT_FOUND)
}

/** `PUT …/tags/{tag}`. */
export async function addTag(db: Db, resourceId: string, tag: string): Promise<void> {
  checkTag(tag)
  const present = await listTags(db, resourceId)
  if (present.includes(tag)) return
  if (present.length >= MAX_TAGS) throw badRequest(`Invalid input for tags. Reason: Number of tags exceeds the limit ${MAX_TAGS}.`)
  await db.insertInto('network_tags').values({ resource_id: resourceId, tag }).execute()
}

/** `PUT …/tags` with `{"tags": [...]}`: replaces them all. */
export async function replaceTags(db: Db, resourceId: string, tags: string[]): Promise<string[]> {
  for (const tag of tags) checkTag(tag)
  const unique = [...new Set(tags)]
  if (unique.length > MAX_TAGS) throw badRequest(`Invalid input for tags. Reason: Number of tags exceeds the limit ${MAX_TAGS}.`)
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('network_tags').where('resource_id', '=', resourceId).execute()
    for (const tag of unique) await trx.insertInto('network_tags').values({ resource_id: resourceId, tag }).execute()
  })
  return unique.sort()
}

/** `DELETE …/tags/{tag}` (404 when absent) and `DELETE …/tags`. */
export async function removeTags(db: Db, collection: TaggableCollection, resourceId: string, tag?: string): Promise<void> {
  if (tag !== undefined) await checkTagPresent(db, collection, resourceId, tag)
  let query = db.deleteFrom('network_tags').where('resource_id', '=', resourceId)
  if (tag !== undefined) query = query.where('tag', '=', tag)
  await query.execute()
}
