import type { Kysely, Selectable } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { ImageMembersTable } from '../../db/tables/image-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { authorize } from '../policy.js'
import { Conflict, Forbidden, InvalidRequest, NotFound } from '../errors.js'
import { nowIso } from '../time.js'
import type { ImageRecord } from './image-records.js'
import { ownsImage } from './image-access.js'
import { ServiceErrorCode } from '../error-codes.js'

/** An `image_members` row. */
export type ImageMemberRow = Selectable<ImageMembersTable>

const MEMBER_STATUSES = ['pending', 'accepted', 'rejected']

function assertShared(image: ImageRecord, action: string): void {
  if (image.visibility !== 'shared') throw new Forbidden(`Not allowed to ${action} for image ${image.id}.`, ServiceErrorCode.IMAGE_NOT_SHARED)
}

function notMember(memberId: string, imageId: string): NotFound {
  return new NotFound(`${memberId} not found in the member list of the image ${imageId}.`, ServiceErrorCode.IMAGE_MEMBER_NOT_FOUND)
}

/** Members of a visible image: all of them for its owner, only the caller's own membership otherwise. */
export async function listMembers(db: Kysely<Database>, auth: AuthContext, image: ImageRecord): Promise<ImageMemberRow[]> {
  authorize(auth, 'get_members', 'reader')
  if (image.visibility !== 'shared') throw new Forbidden('Only shared images have members.', ServiceErrorCode.IMAGE_NOT_SHARED)
  let query = db.selectFrom('image_members').selectAll().where('image_id', '=', image.id)
  if (!ownsImage(auth, image)) query = query.where('member', '=', auth.projectId ?? '')
  return query.orderBy('created_at').orderBy('member').execute()
}

/** One membership, seen by the image's owner or by that member. */
export async function getMember(db: Kysely<Database>, auth: AuthContext, image: ImageRecord, memberId: string): Promise<ImageMemberRow> {
  authorize(auth, 'get_member', 'reader')
  if (!ownsImage(auth, image) && memberId !== auth.projectId) throw notMember(memberId, image.id)
  const row = await db.selectFrom('image_members').selectAll().where('image_id', '=', image.id).where('member', '=', memberId).executeTakeFirst()
  if (!row) throw notMember(memberId, image.id)
  return row
}

/** Shares an image the caller owns with a project (status `pending`). */
export async function addMember(db: Kysely<Database>, auth: AuthContext, image: ImageRecord, memberId: string): Promise<ImageMemberRow> {
  authorize(auth, 'add_member', 'member')
  assertShared(image, 'create members')
  if (!ownsImage(auth, image)) throw new Forbidden(`Not allowed to create members for image ${image.id}.`, ServiceErrorCode.IMAGE_NOT_OWNER)
  if (memberId.trim() === '') throw new InvalidRequest("Member can't be empty", ServiceErrorCode.IMAGE_MEMBER_EMPTY)
  const existing = await db.selectFrom('image_members').select('member').where('image_id', '=', image.id).where('member', '=', memberId).executeTakeFirst()
  if (existing) throw new Conflict(`Member ${memberId} is duplicated for image ${image.id}`, ServiceErrorCode.IMAGE_MEMBER_DUPLICATE)
  const now = nowIso()
  const row = { image_id: image.id, member: memberId, status: 'pending', created_at: now, updated_at: now }
  await db.insertInto('image_members').values(row).execute()
  return row
}

/** The member project accepts or rejects (or resets to pending) a shared image. */
export async function updateMember(db: Kysely<Database>, auth: AuthContext, image: ImageRecord, memberId: string, status: string): Promise<ImageMemberRow> {
  authorize(auth, 'modify_member', 'member')
  if (!MEMBER_STATUSES.includes(status)) throw new InvalidRequest(`Incorrect request: Status must be one of ${MEMBER_STATUSES.join(', ')}`, ServiceErrorCode.IMAGE_MEMBER_STATUS)
  const row = await getMember(db, auth, image, memberId)
  if (memberId !== auth.projectId && !auth.isAdmin) throw new Forbidden(`Not allowed to update members for image ${image.id}.`, ServiceErrorCode.IMAGE_MEMBER_NOT_SELF)
  const updatedAt = nowIso()
  await db.updateTable('image_members').set({ status, updated_at: updatedAt }).where('image_id', '=', image.id).where('member', '=', memberId).execute()
  return { ...row, status, updated_at: updatedAt }
}

/** The owner stops sharing an image with a project. */
export async function removeMember(db: Kysely<Database>, auth: AuthContext, image: ImageRecord, memberId: string): Promise<void> {
  authorize(auth, 'delete_member', 'member')
  assertShared(image, 'delete members')
  if (!ownsImage(auth, image)) throw new Forbidden(`Not allowed to delete members for image ${image.id}.`, ServiceErrorCode.IMAGE_NOT_OWNER)
  const result = await db.deleteFrom('image_members').where('image_id', '=', image.id).where('member', '=', memberId).executeTakeFirst()
  if (Number(result.numDeletedRows) === 0) throw notMember(memberId, image.id)
}
