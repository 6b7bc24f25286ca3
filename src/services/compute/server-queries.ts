import type { Store } from './ports.js'
import type { CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { InvalidRequest } from '../errors.js'
import { getInstanceDetails, getInstanceRow, loadInstanceDetails, type InstanceDetails } from './instance-store.js'
import { vmStatesForStatus } from './instance-states.js'
import { nowIso } from '../time.js'
import { RE2JS } from 're2js'

/** Filters and paging of `GET /servers[/detail]`, already read from the query string. */
export interface ServerListQuery {
  name?: string
  status?: string
  image?: string
  flavor?: string
  host?: string
  changesSince?: string
  changesBefore?: string
  tags?: string[]
  tagsAny?: string[]
  notTags?: string[]
  notTagsAny?: string[]
  locked?: boolean
  reservationId?: string
  allTenants?: boolean
  projectId?: string
  availabilityZone?: string
  keyName?: string
  userId?: string
  limit?: number
  marker?: string
  sortKey?: string
  sortDir?: 'asc' | 'desc'
}

/** Nova's `[api] max_limit`. */
const MAX_SERVER_LIMIT = 1000

const SORT_KEYS: Record<string, 'created_at' | 'updated_at' | 'display_name' | 'uuid' | 'vm_state' | 'task_state' | 'host' | 'launched_at' | 'hostname'> = {
  created_at: 'created_at', updated_at: 'updated_at', display_name: 'display_name', uuid: 'uuid', vm_state: 'vm_state',
  task_state: 'task_state', host: 'host', launched_at: 'launched_at', hostname: 'hostname',
}

function parseTime(value: string, field: string): string {
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new InvalidRequest(`Invalid filter field: ${field}.`)
  return new Date(ms).toISOString()
}

/**
 * Servers of the caller's project (all projects for an admin with
 * `all_tenants`), filtered, sorted and paged like Nova. With `changes-since`
 * deleted servers are included, as Nova does.
 */
export async function listServers(deps: Store, call: CallContext, query: ServerListQuery): Promise<{ servers: InstanceDetails[]; hasMore: boolean }> {
  const auth = authorize(call.auth, 'os_compute_api:servers:index', 'reader')
  let q = deps.db.selectFrom('instances').selectAll()
  if (!(auth.isAdmin && query.allTenants)) q = q.where('project_id', '=', auth.projectId ?? '')
  else if (query.projectId) q = q.where('project_id', '=', query.projectId)
  if (query.changesSince) q = q.where('updated_at', '>=', parseTime(query.changesSince, 'changes-since'))
  else q = q.where('deleted', '=', 0)
  if (query.changesBefore) q = q.where('updated_at', '<=', parseTime(query.changesBefore, 'changes-before'))
  if (query.status) {
    const states = vmStatesForStatus(query.status)
    // Nova (2.38+) answers 400 for an unknown status; earlier it returned nothing.
    if (!states) return { servers: [], hasMore: false }
    q = q.where('vm_state', 'in', states)
  }
  if (query.image) q = q.where('image_ref', '=', query.image.slice(query.image.lastIndexOf('/') + 1))
  if (query.host && auth.isAdmin) q = q.where('host', '=', query.host)
  if (query.locked !== undefined) q = q.where('locked', '=', query.locked ? 1 : 0)
  if (query.reservationId) q = q.where('reservation_id', '=', query.reservationId)
  if (query.availabilityZone) q = q.where('availability_zone', '=', query.availabilityZone)
  if (query.keyName) q = q.where('key_name', '=', query.keyName)
  if (query.userId) q = q.where('user_id', '=', query.userId)
  const sortColumn = SORT_KEYS[query.sortKey ?? 'created_at'] ?? 'created_at'
  const dir = query.sortDir ?? 'desc'
  q = q.orderBy(sortColumn, dir).orderBy('uuid', dir)
  let rows = await q.execute()
  if (query.name) {
    // Nova matches `name` as a regular expression (re.search); RE2 matches in
    // linear time, so no pattern can hold the event loop (a backtracking
    // RegExp took seconds on `^(a+)+$`).
    let pattern: RE2JS
    try {
      pattern = RE2JS.compile(query.name)
    } catch {
      throw new InvalidRequest(`Invalid filter field: name.`)
    }
    rows = rows.filter((r) => pattern.matcher(r.display_name).find())
  }
  let details = await loadInstanceDetails(deps.db, rows)
  if (query.flavor) details = details.filter((d) => d.flavor.id === query.flavor!.slice(query.flavor!.lastIndexOf('/') + 1))
  if (query.tags) details = details.filter((d) => query.tags!.every((t) => d.tags.includes(t)))
  if (query.tagsAny) details = details.filter((d) => query.tagsAny!.some((t) => d.tags.includes(t)))
  if (query.notTags) details = details.filter((d) => !query.notTags!.every((t) => d.tags.includes(t)))
  if (query.notTagsAny) details = details.filter((d) => !query.notTagsAny!.some((t) => d.tags.includes(t)))
  if (query.marker) {
    const index = details.findIndex((d) => d.row.uuid === query.marker)
    if (index < 0) throw new InvalidRequest(`marker [${query.marker}] not found`)
    details = details.slice(index + 1)
  }
  // Nova's [api] max_limit: a larger limit (or 0) is silently reduced to it; the route gives the next link.
  const limit = Math.min(MAX_SERVER_LIMIT, query.limit || MAX_SERVER_LIMIT)
  return { servers: details.slice(0, limit), hasMore: details.length > limit }
}

/** One server in the caller's scope. */
export async function showServer(deps: Store, call: CallContext, id: string): Promise<InstanceDetails> {
  const auth = authorize(call.auth, 'os_compute_api:servers:show', 'reader')
  return getInstanceDetails(deps.db, auth, id)
}

/** `PUT /servers/{id}`: name, description (2.19), hostname; access IPs. */
export async function updateServer(deps: Store, call: CallContext, id: string, patch: { name?: string; description?: string | null; accessIPv4?: string | null; accessIPv6?: string | null; hostname?: string }): Promise<InstanceDetails> {
  const auth = authorize(call.auth, 'os_compute_api:servers:update', 'member')
  const row = await getInstanceRow(deps.db, auth, id)
  const set: Record<string, string | null> = { updated_at: nowIso() }
  if (patch.name !== undefined) set.display_name = patch.name
  if (patch.description !== undefined) set.display_description = patch.description
  if (patch.accessIPv4 !== undefined) set.access_ip_v4 = patch.accessIPv4
  if (patch.accessIPv6 !== undefined) set.access_ip_v6 = patch.accessIPv6
  if (patch.hostname !== undefined) set.hostname = patch.hostname
  await deps.db.updateTable('instances').set(set).where('uuid', '=', row.uuid).execute()
  return getInstanceDetails(deps.db, auth, id)
}
