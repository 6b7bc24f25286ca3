/**
 * Which servers a fleet run takes, resolved once at its creation through the
 * servers listing (the caller's project, or every project for an admin with
 * `all_projects`): ids, a name pattern (Nova's `name` filter: a regular
 * expression, matched in linear time), a tag, a status. A server another
 * project owns is not found, as in Nova.
 */
import type { Store } from './ports.js'
import type { CallContext } from './call-context.js'
import type { InstanceRow } from './instance-store.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'
import { listServers } from './server-queries.js'

/** The `servers` of a fleet run: every criterion given must hold. */
export interface ServerSelector {
  ids?: string[]
  name?: string
  tag?: string
  status?: string
}

/** The servers the selector names, oldest first (ids: in the order given). */
export async function selectServers(deps: Store, call: CallContext, selector: ServerSelector, allProjects: boolean): Promise<InstanceRow[]> {
  if (selector.ids === undefined && selector.name === undefined && selector.tag === undefined && selector.status === undefined) {
    throw new InvalidRequest('Invalid input for field/attribute servers. At least one of ids, name, tag, status is required.')
  }
  const rows = await listAll(deps, call, selector, allProjects)
  if (selector.ids === undefined) return rows
  const visible = selector.name === undefined && selector.tag === undefined && selector.status === undefined ? rows : await listAll(deps, call, {}, allProjects)
  const visibleIds = new Set(visible.map((r) => r.uuid))
  const byId = new Map(rows.map((r) => [r.uuid, r]))
  const out: InstanceRow[] = []
  for (const id of new Set(selector.ids)) {
    if (!visibleIds.has(id)) throw new NotFound(`Instance ${id} could not be found.`, ServiceErrorCode.INSTANCE_NOT_FOUND)
    const row = byId.get(id)
    if (row) out.push(row)
  }
  return out
}

/** Every page of the servers listing with the selector's filters. */
async function listAll(deps: Store, call: CallContext, selector: ServerSelector, allProjects: boolean): Promise<InstanceRow[]> {
  const rows: InstanceRow[] = []
  let marker: string | undefined
  for (;;) {
    const page = await listServers(deps, call, {
      ...(selector.name !== undefined ? { name: selector.name } : {}), ...(selector.status !== undefined ? { status: selector.status } : {}),
      ...(selector.tag !== undefined ? { tags: [selector.tag] } : {}), allTenants: allProjects, sortKey: 'created_at', sortDir: 'asc', ...(marker ? { marker } : {}),
    })
    rows.push(...page.servers.map((d) => d.row))
    if (!page.hasMore || page.servers.length === 0) return rows
    marker = page.servers[page.servers.length - 1]!.row.uuid
  }
}
