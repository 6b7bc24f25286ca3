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
