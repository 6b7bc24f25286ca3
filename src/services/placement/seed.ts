import type { Db } from '../../db/schema.js'
import { STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS } from './standard-traits.js'
import { nowIso } from '../time.js'

/**
 * Inserts the standard resource classes and traits that are missing; safe
 * to run at every start and from several processes at once.
 */
export async function seedStandardNames(db: Db): Promise<void> {
  const now = nowIso()
  await db.insertInto('placement_resource_classes')
    .values(STANDARD_RESOURCE_CLASSES.map((name) => ({ name, standard: 1, created_at: now })))
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  await db.insertInto('placement_traits')
    .values(STANDARD_TRAITS.map((name) => ({ name, standard: 1, created_at: now })))
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
}
