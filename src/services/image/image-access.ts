import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { AuthContext } from '../identity/auth-context.js'
import { authorize } from '../policy.js'
import { Forbidden } from '../errors.js'
import type { ImageRecord } from './image-records.js'
import { ImageNotFound } from './image-errors.js'
import { ServiceErrorCode } from '../error-codes.js'

/** The caller's membership status on an image (`pending`/`accepted`/`rejected`), null when none. */
export async function memberStatus(db: Kysely<Database>, imageId: string, projectId: string | null): Promise<string | null> {
  if (projectId === null) return null
  const row = await db.selectFrom('image_members').select('status').where('image_id', '=', imageId).where('member', '=', projectId).executeTakeFirst()
  return row?.status ?? null
}

/**
 * Glance's `get_image` default: admins see everything; others their own
 * project's images, public and community ones, and shared ones they are a
 * member of (in any member status).
 */
export function canSeeImage(auth: AuthContext, image: ImageRecord, membership: string | null): boolean {
  if (auth.isAdmin) return true
  if (auth.projectId !== null && image.owner === auth.projectId) return true
  if (image.visibility === 'public' || image.visibility === 'community') return true
  return image.visibility === 'shared' && membership !== null
}

/** True when the caller may change the image (Glance's `check_is_image_mutable`). */
export function ownsImage(auth: AuthContext, image: ImageRecord): boolean {
  return auth.isAdmin || (auth.projectId !== null && image.owner === auth.projectId)
}

/**
 * Checks a mutating rule (`modify_image`, `delete_image`, `upload_image`…)
 * as Glance does: the member role, then ownership; an image the caller
 * can't see is a 404, one it sees but doesn't own a 403.
 */
export async function assertMayChange(db: Kysely<Database>, auth: AuthContext, image: ImageRecord, rule: string): Promise<void> {
  const visible = canSeeImage(auth, image, await memberStatus(db, image.id, auth.projectId))
  if (!visible) throw new ImageNotFound(image.id)
  authorize(auth, rule, 'member')
  if (!ownsImage(auth, image)) throw new Forbidden('You do not own this image', ServiceErrorCode.IMAGE_NOT_OWNER)
}
