import type { Db } from '../../db/schema.js'
import type { NetworksTable } from '../../db/tables/network-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { Unauthorized } from '../errors.js'
import { badRequest, notFound, policyNotAuthorized } from './network-errors.js'

/*
 * Neutron's default policy (neutron/conf/policies/*.py), reduced to what
 * Lifeboat serves: a project reads its own resources, shared networks (and
 * their subnets) and external networks; it changes only its own; an admin
 * reads and changes everything. A resource the caller cannot read is a 404,
 * one it can read but not change a 403 (Neutron's `_item` then `enforce`).
 */

/** The caller, which must be project-scoped unless admin. */
export function caller(auth: AuthContext | null | undefined): AuthContext {
  if (!auth) throw new Unauthorized()
  return auth
}

/** True when the caller may read the network. */
export function canSeeNetwork(auth: AuthContext, network: Pick<NetworksTable, 'project_id' | 'shared' | 'external'>): boolean {
  return auth.isAdmin || network.project_id === auth.projectId || network.shared === 1 || network.external === 1
}

/** True when the caller owns the resource (or is admin). */
export function owns(auth: AuthContext, resource: { project_id: string }): boolean {
  return auth.isAdmin || resource.project_id === auth.projectId
}

/** A network the caller may read, else 404 NetworkNotFound. */
export async function visibleNetwork(db: Db, auth: AuthContext, id: string): Promise<NetworksTable> {
  const row = await db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || !canSeeNetwork(auth, row)) throw notFound('Network', id)
  return row
}

/** 403 unless the caller owns the resource it can see. */
export function assertOwner(auth: AuthContext, resource: { project_id: string }, rule: string): void {
  if (!owns(auth, resource)) throw policyNotAuthorized(rule)
}

/**
 * The project a new resource belongs to: the body's `project_id`/`tenant_id`
 * (which must agree, and only an admin may name another project), else the
 * caller's.
 */
export function owningProject(auth: AuthContext, body: { project_id?: string; tenant_id?: string }): string {
  const { project_id: projectId, tenant_id: tenantId } = body
  if (projectId !== undefined && tenantId !== undefined && projectId !== tenantId) throw badRequest("'project_id' and 'tenant_id' do not match")
  const wanted = projectId ?? tenantId
  if (wanted !== undefined && wanted !== auth.projectId && !auth.isAdmin) {
    throw badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges")
  }
  const project = wanted ?? auth.projectId
  if (!project) throw badRequest("'project_id' or 'tenant_id' is required")
  return project
}
