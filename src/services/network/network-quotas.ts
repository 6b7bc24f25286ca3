import type { Db } from '../../db/schema.js'
import type { AuthContext } from '../identity/auth-context.js'
import { deleteQuotas, effectiveQuotas, fits, lockProjectQuotas, setQuotas } from '../quotas/quota-store.js'
import { badRequest, overQuota, policyNotAuthorized } from './network-errors.js'

/** Neutron's default quotas (neutron/conf/quota.py), by resource name as `/v2.0/quotas` shows them. */
export const DEFAULT_NETWORK_QUOTAS = {
  network: 100, subnet: 100, port: 500, router: 10, floatingip: 50, security_group: 10, security_group_rule: 100,
} as const
export type NetworkQuotaResource = keyof typeof DEFAULT_NETWORK_QUOTAS

/**
 * How each resource's usage is counted. Routers, floating IPs and security
 * groups belong to their own modules: they may replace these counters.
 */
export const USAGE_COUNTERS: Record<NetworkQuotaResource, (db: Db, projectId: string) => Promise<number>> = {
  network: (db, p) => countRows(db, 'networks', p),
  subnet: (db, p) => countRows(db, 'subnets', p),
  port: (db, p) => countRows(db, 'ports', p),
  router: (db, p) => countRows(db, 'routers', p),
  floatingip: (db, p) => countRows(db, 'floating_ips', p),
  security_group: (db, p) => countRows(db, 'security_groups', p),
  security_group_rule: async (db, p) => Number((await db.selectFrom('security_group_rules').innerJoin('security_groups', 'security_groups.id', 'security_group_rules.group_id')
    .select((eb) => eb.fn.countAll().as('n')).where('security_groups.project_id', '=', p).executeTakeFirstOrThrow()).n),
}

async function countRows(db: Db, table: 'networks' | 'subnets' | 'ports' | 'routers' | 'floating_ips' | 'security_groups', projectId: string): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** A project's network quotas (defaults with its overrides). */
export function networkQuotas(db: Db, projectId: string): Promise<Record<NetworkQuotaResource, number>> {
  return effectiveQuotas(db, 'network', projectId, DEFAULT_NETWORK_QUOTAS)
}

/**
 * Inside the creating transaction: takes the project's quota lock and
 * refuses with 409 OverQuota when `count` more of `resource` would exceed
 * the limit.
 */
export async function checkNetworkQuota(trx: Db, projectId: string, resource: NetworkQuotaResource, count = 1): Promise<void> {
  await lockProjectQuotas(trx, projectId)
  const limit = (await networkQuotas(trx, projectId))[resource]
  if (!fits(limit, await USAGE_COUNTERS[resource](trx, projectId), count)) throw overQuota([resource])
}

function assertReader(auth: AuthContext, projectId: string): void {
  if (!auth.isAdmin && auth.projectId !== projectId) throw policyNotAuthorized('get_quota')
}

/** `GET /v2.0/quotas/{project}` (the project itself or admin). */
export async function showNetworkQuota(db: Db, auth: AuthContext, projectId: string): Promise<Record<string, number>> {
  assertReader(auth, projectId)
  return networkQuotas(db, projectId)
}

/** `GET /v2.0/quotas/{project}/details`: limit, used and reserved per resource. */
export async function networkQuotaDetails(db: Db, auth: AuthContext, projectId: string): Promise<Record<string, { limit: number; used: number; reserved: number }>> {
  assertReader(auth, projectId)
  const quotas = await networkQuotas(db, projectId)
  const result: Record<string, { limit: number; used: number; reserved: number }> = {}
  for (const key of Object.keys(quotas) as NetworkQuotaResource[]) result[key] = { limit: quotas[key], used: await USAGE_COUNTERS[key](db, projectId), reserved: 0 }
  return result
}

/** `GET /v2.0/quotas` (admin): the projects with quotas other than the defaults. */
export async function listNetworkQuotas(db: Db, auth: AuthContext): Promise<Array<Record<string, unknown>>> {
  if (!auth.isAdmin) throw policyNotAuthorized('get_quota')
  const projects = await db.selectFrom('quotas').select('project_id').distinct().where('service', '=', 'network').execute()
  const result: Array<Record<string, unknown>> = []
  for (const { project_id: projectId } of projects) result.push({ ...(await networkQuotas(db, projectId)), project_id: projectId, tenant_id: projectId })
  return result
}

/** `PUT /v2.0/quotas/{project}` (admin): integers from -1; unknown resources are a 400 as Neutron's. */
export async function updateNetworkQuota(db: Db, auth: AuthContext, projectId: string, body: Record<string, unknown>): Promise<Record<string, number>> {
  if (!auth.isAdmin) throw policyNotAuthorized('update_quota')
  const values: Record<string, number> = {}
  for (const [key, raw] of Object.entries(body)) {
    if (!Object.hasOwn(DEFAULT_NETWORK_QUOTAS, key)) throw badRequest(`Unrecognized attribute(s) '${key}'`)
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?[0-9]+$/.test(raw.trim()) ? Number(raw) : NaN
    if (!Number.isInteger(value) || value < -1) throw badRequest(`Invalid input for ${key}. Reason: '${String(raw)}' should be an integer greater than or equal to -1.`)
    values[key] = value
  }
  await setQuotas(db, 'network', projectId, values)
  return networkQuotas(db, projectId)
}

/** `DELETE /v2.0/quotas/{project}` (admin): back to the defaults. */
export async function resetNetworkQuota(db: Db, auth: AuthContext, projectId: string): Promise<void> {
  if (!auth.isAdmin) throw policyNotAuthorized('delete_quota')
  await deleteQuotas(db, 'network', projectId)
}
