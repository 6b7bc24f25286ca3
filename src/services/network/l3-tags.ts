import type { Db } from '../../db/schema.js'
import type { AuthContext } from '../identity/auth-context.js'
import type { TaggableCollection } from './resource-tags.js'
import { notFound } from './network-errors.js'
import { visibleRouter } from './routers.js'
import { visibleFloatingIp } from './floating-ips.js'

/**
 * The routers, floating IPs and security groups the tag routes may touch
 * (`NetworkServiceOptions.taggable`): the caller's, else Neutron's 404.
 */
export async function visibleTaggable(db: Db, auth: AuthContext, collection: TaggableCollection, id: string): Promise<{ project_id: string } | null> {
  if (collection === 'routers') return visibleRouter(db, auth, id)
  if (collection === 'floatingips') return visibleFloatingIp(db, auth, id)
  if (collection === 'security-groups') {
    const row = await db.selectFrom('security_groups').select('project_id').where('id', '=', id).executeTakeFirst()
    if (!row || !(auth.isAdmin || row.project_id === auth.projectId)) throw notFound('SecurityGroup', id)
    return row
  }
  return null
}
