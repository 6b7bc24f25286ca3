import { InvalidRequest } from '../errors.js'
import type { Db } from '../../db/schema.js'

/** The names among `names` that are not known resource classes. */
export async function unknownResourceClasses(db: Db, names: string[]): Promise<string[]> {
  const wanted = [...new Set(names)]
  if (wanted.length === 0) return []
  const rows = await db.selectFrom('placement_resource_classes').select('name').where('name', 'in', wanted).execute()
  const known = new Set(rows.map((r) => r.name))
  return wanted.filter((n) => !known.has(n))
}

/** The names among `names` that are not known traits. */
export async function unknownTraits(db: Db, names: string[]): Promise<string[]> {
  const wanted = [...new Set(names)]
  if (wanted.length === 0) return []
  const rows = await db.selectFrom('placement_traits').select('name').where('name', 'in', wanted).execute()
  const known = new Set(rows.map((r) => r.name))
  return wanted.filter((n) => !known.has(n))
}

/** 400 `prefix + "No such resource class X."` for the first unknown class. */
export async function assertResourceClassesExist(db: Db, names: string[], prefix: string): Promise<void> {
  const unknown = await unknownResourceClasses(db, names)
  if (unknown.length > 0) throw new InvalidRequest(`${prefix}No such resource class ${unknown[0]}.`)
}

/** 400 `prefix + "No such trait(s): A, B."` when any trait is unknown. */
export async function assertTraitsExist(db: Db, names: string[], prefix: string): Promise<void> {
  const unknown = await unknownTraits(db, names)
  if (unknown.length > 0) throw new InvalidRequest(`${prefix}No such trait(s): ${unknown.join(', ')}.`)
}
