import type { Db } from '../../db/schema.js'

/** The services whose quotas Lifeboat keeps (Nova's, Cinder's and Neutron's). */
export type QuotaService = 'compute' | 'volume' | 'network'

/** A project's quota overrides of one service: resource → hard limit (-1 unlimited). */
export async function quotaOverrides(db: Db, service: QuotaService, projectId: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('quotas').select(['resource', 'hard_limit']).where('service', '=', service).where('project_id', '=', projectId).execute()
  return new Map(rows.map((r) => [r.resource, Number(r.hard_limit)]))
}

/** A project's quotas: the service's defaults with its overrides applied. */
export async function effectiveQuotas<K extends string>(db: Db, service: QuotaService, projectId: string, defaults: Readonly<Record<K, number>>): Promise<Record<K, number>> {
  const overrides = await quotaOverrides(db, service, projectId)
  const result: Record<K, number> = { ...defaults }
  for (const key of Object.keys(defaults) as K[]) {
    const value = overrides.get(key)
    if (value !== undefined) result[key] = value
  }
  return result
}

/** Sets some of a project's quotas (insert or update each). */
export async function setQuotas(db: Db, service: QuotaService, projectId: string, values: Record<string, number>): Promise<void> {
  for (const [resource, hardLimit] of Object.entries(values)) {
    await db.insertInto('quotas').values({ service, project_id: projectId, resource, hard_limit: hardLimit })
      .onConflict((oc) => oc.columns(['service', 'project_id', 'resource']).doUpdateSet({ hard_limit: hardLimit })).execute()
  }
}

/** Puts a project's quotas of one service back to the defaults. */
export async function deleteQuotas(db: Db, service: QuotaService, projectId: string): Promise<void> {
  await db.deleteFrom('quotas').where('service', '=', service).where('project_id', '=', projectId).execute()
}

/**
 * Takes the project's quota lock for the rest of the transaction `trx`:
 * concurrent quota-checked creates of one project queue here, so each counts
 * what the ones before it inserted (PostgreSQL row lock; SQLite serialises
 * writers). Call first in the transaction that counts and inserts.
 */
export async function lockProjectQuotas(trx: Db, projectId: string): Promise<void> {
  await trx.insertInto('quota_locks').values({ project_id: projectId })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ project_id: projectId })).execute()
}

/** True when `used + requested` stays within `limit` (-1: unlimited). */
export function fits(limit: number, used: number, requested: number): boolean {
  return limit < 0 || used + requested <= limit
}

/** A user's compute quota overrides inside a project (Nova's `project_user_quotas`): resource → hard limit. */
export async function userQuotaOverrides(db: Db, projectId: string, userId: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('project_user_quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).where('user_id', '=', userId).execute()
  return new Map(rows.map((r) => [r.resource, Number(r.hard_limit)]))
}

/** The sum of every user's limit of each resource in a project (what Nova subtracts for a project's `remains`). */
export async function userQuotaSums(db: Db, projectId: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('project_user_quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).execute()
  const sums = new Map<string, number>()
  for (const row of rows) sums.set(row.resource, (sums.get(row.resource) ?? 0) + Number(row.hard_limit))
  return sums
}

/** Sets some of a user's compute quotas inside a project (insert or update each). */
export async function setUserQuotas(db: Db, projectId: string, userId: string, values: Record<string, number>): Promise<void> {
  for (const [resource, hardLimit] of Object.entries(values)) {
    await db.insertInto('project_user_quotas').values({ project_id: projectId, user_id: userId, resource, hard_limit: hardLimit })
      .onConflict((oc) => oc.columns(['project_id', 'user_id', 'resource']).doUpdateSet({ hard_limit: hardLimit })).execute()
  }
}

/** Removes the user quotas of one user in a project, or of every user when `userId` is undefined. */
export async function deleteUserQuotas(db: Db, projectId: string, userId?: string): Promise<void> {
  let query = db.deleteFrom('project_user_quotas').where('project_id', '=', projectId)
  if (userId !== undefined) query = query.where('user_id', '=', userId)
  await query.execute()
}
