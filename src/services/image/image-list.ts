import { sql, type ExpressionBuilder, type Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { AuthContext } from '../identity/auth-context.js'
import { InvalidRequest } from '../errors.js'
import type { ImageRecord } from './image-records.js'
import { toRecords } from './image-records.js'
import { allValues, lastValue, type RawQuery } from '../../util/query-values.js'
import { ServiceErrorCode } from '../error-codes.js'

/** Glance's `limit_param_default` and `api_limit_max`. */
export const DEFAULT_LIMIT = 25
export const MAX_LIMIT = 1000

const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at'] as const
type SortKey = (typeof SORT_KEYS)[number]
const COLUMN_FILTERS = ['name', 'status', 'owner', 'disk_format', 'container_format', 'checksum', 'id', 'os_hash_value'] as const
const MEMBER_STATUSES = ['pending', 'accepted', 'rejected', 'all']

/** A `GET /v2/images` query after Glance's checks. */
export interface ImageListQuery {
  columns: Partial<Record<(typeof COLUMN_FILTERS)[number], string[]>>
  visibility?: 'public' | 'private' | 'shared' | 'community' | 'all'
  memberStatus: string
  osHidden: boolean
  protected?: boolean
  sizeMin?: number
  sizeMax?: number
  tags: string[]
  properties: Record<string, string>
  marker?: string
  limit: number
  sort: Array<{ key: SortKey; dir: 'asc' | 'desc' }>
}

export type { RawQuery }

function bad(message: string): never {
  throw new InvalidRequest(message, ServiceErrorCode.IMAGE_BAD_QUERY)
}

function sortKey(key: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(key)) bad(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`)
  return key as SortKey
}

function sortDir(dir: string): 'asc' | 'desc' {
  if (dir !== 'asc' && dir !== 'desc') bad(`Invalid sort direction: ${dir}`)
  return dir
}

function parseSort(query: RawQuery): ImageListQuery['sort'] {
  const sort = lastValue(query.sort)
  const keys = allValues(query.sort_key)
  const dirs = allValues(query.sort_dir)
  if (sort !== undefined) {
    if (keys.length || dirs.length) bad('Old and new sorting syntax cannot be combined')
    return sort.trim().split(',').map((part) => {
      const [key = '', dir = 'desc'] = part.split(':')
      return { key: sortKey(key.trim()), dir: sortDir(dir.trim() || 'desc') }
    })
  }
  if (dirs.length > 1 && dirs.length !== keys.length) bad('Number of sort dirs does not match the number of sort keys')
  const chosen = keys.length ? keys.map((k) => sortKey(k.trim())) : ['created_at' as const]
  return chosen.map((key, i) => ({ key, dir: sortDir((dirs[i] ?? dirs[0] ?? 'desc').trim()) }))
}

function parseBool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined
  const lower = value.toLowerCase()
  if (lower !== 'true' && lower !== 'false') bad(`Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`)
  return lower === 'true'
}

function parseInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^-?\d+$/.test(value.trim())) bad(`${name} param must be an integer`)
  return Number(value)
}

const CONSUMED = new Set(['limit', 'marker', 'member_status', 'tag', 'sort', 'sort_key', 'sort_dir', 'visibility', 'os_hidden', 'protected', 'size_min', 'size_max', ...COLUMN_FILTERS])

/** Reads the query string the way Glance's `RequestDeserializer.index` does. */
export function parseImageListQuery(query: RawQuery): ImageListQuery {
  const limit = parseInteger('limit', lastValue(query.limit))
  if (limit !== undefined && limit < 0) bad('limit param must be positive')
  const memberStatus = lastValue(query.member_status) ?? 'accepted'
  if (!MEMBER_STATUSES.includes(memberStatus)) bad(`Invalid status: ${memberStatus}`)
  const visibility = lastValue(query.visibility)
  if (visibility && !['community', 'public', 'private', 'shared', 'all'].includes(visibility)) bad(`Invalid visibility value: ${visibility}`)
  if (query['changes-since'] !== undefined) bad('The "changes-since" filter is no longer available on v2.')
  const columns: ImageListQuery['columns'] = {}
  for (const key of COLUMN_FILTERS) {
    const value = lastValue(query[key])
    if (value !== undefined) columns[key] = value.startsWith('in:') ? value.slice(3).split(',').map((v) => v.trim().replace(/^"(.*)"$/, '$1')) : [value]
  }
  const properties: Record<string, string> = {}
  for (const [key, value] of Object.entries(query)) if (!CONSUMED.has(key) && value !== undefined) properties[key] = lastValue(query[key])!
  return {
    columns,
    visibility: (visibility || undefined) as ImageListQuery['visibility'],
    memberStatus,
    osHidden: parseBool('os_hidden', lastValue(query.os_hidden)) ?? false,
    protected: parseBool('protected', lastValue(query.protected)),
    sizeMin: parseInteger('size_min', lastValue(query.size_min)),
    sizeMax: parseInteger('size_max', lastValue(query.size_max)),
    tags: allValues(query.tag).map((t) => t.trim()),
    properties,
    marker: lastValue(query.marker),
    limit: Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT),
    sort: parseSort(query),
  }
}

type Eb = ExpressionBuilder<Database, 'images'>

function sharedWith(eb: Eb, project: string, status: string) {
  let members = eb.selectFrom('image_members').select(sql.lit(1).as('one')).whereRef('image_members.image_id', '=', 'images.id').where('image_members.member', '=', project)
  if (status !== 'all') members = members.where('image_members.status', '=', status)
  return eb.and([eb('images.visibility', '=', 'shared'), eb.exists(members)])
}

/** Glance's visibility rules for listing, as one SQL condition. */
function visibleTo(eb: Eb, auth: AuthContext, q: ImageListQuery) {
  const project = auth.projectId ?? ''
  const mine = eb('images.owner', '=', project)
  switch (q.visibility) {
    case 'public':
    case 'community':
      return eb('images.visibility', '=', q.visibility)
    case 'private':
      return auth.isAdmin ? eb('images.visibility', '=', 'private') : eb.and([eb('images.visibility', '=', 'private'), mine])
    case 'shared':
      return auth.isAdmin ? eb('images.visibility', '=', 'shared') : eb.or([eb.and([eb('images.visibility', '=', 'shared'), mine]), sharedWith(eb, project, q.memberStatus)])
    case 'all':
      return auth.isAdmin ? eb.lit(true) : eb.or([mine, eb('images.visibility', 'in', ['public', 'community']), sharedWith(eb, project, q.memberStatus)])
    default:
      return auth.isAdmin ? eb.lit(true) : eb.or([mine, eb('images.visibility', '=', 'public'), sharedWith(eb, project, q.memberStatus)])
  }
}

function compare(a: ImageRecord, b: ImageRecord, key: SortKey): number {
  const pick = (r: ImageRecord): string | number | null => ({
    name: r.name, status: r.status, container_format: r.containerFormat, disk_format: r.diskFormat, size: r.size,
    id: r.id, created_at: r.createdAt, updated_at: r.updatedAt,
  })[key]
  const x = pick(a)
  const y = pick(b)
  if (x === y) return 0
  if (x === null) return -1
  if (y === null) return 1
  return x < y ? -1 : 1
}

/**
 * Lists the images the caller may see that match the query, sorted (in
 * code, so both dialects order alike) and paged from `marker`. Returns the
 * page and the marker of the next one when the page is full.
 */
export async function listImages(db: Kysely<Database>, auth: AuthContext, q: ImageListQuery): Promise<{ images: ImageRecord[]; nextMarker?: string }> {
  let query = db.selectFrom('images').selectAll('images').where((eb) => visibleTo(eb, auth, q))
  for (const [column, values] of Object.entries(q.columns)) query = query.where(`images.${column as (typeof COLUMN_FILTERS)[number]}`, 'in', values)
  query = query.where('images.os_hidden', '=', q.osHidden ? 1 : 0)
  if (q.protected !== undefined) query = query.where('images.protected', '=', q.protected ? 1 : 0)
  if (q.sizeMin !== undefined) query = query.where('images.size', '>=', q.sizeMin)
  if (q.sizeMax !== undefined) query = query.where('images.size', '<=', q.sizeMax)
  for (const tag of q.tags) {
    query = query.where((eb) => eb.exists(eb.selectFrom('image_tags').select(sql.lit(1).as('one')).whereRef('image_tags.image_id', '=', 'images.id').where('image_tags.value', '=', tag)))
  }
  for (const [name, value] of Object.entries(q.properties)) {
    query = query.where((eb) => eb.exists(eb.selectFrom('image_properties').select(sql.lit(1).as('one'))
      .whereRef('image_properties.image_id', '=', 'images.id').where('image_properties.name', '=', name).where('image_properties.value', '=', value)))
  }
  const records = await toRecords(db, await query.execute())
  records.sort((a, b) => {
    for (const { key, dir } of q.sort) {
      const c = compare(a, b, key)
      if (c !== 0) return dir === 'asc' ? c : -c
    }
    return compare(a, b, 'id')
  })
  let start = 0
  if (q.marker !== undefined) {
    const at = records.findIndex((r) => r.id === q.marker)
    if (at < 0) bad('Marker not found')
    start = at + 1
  }
  const images = records.slice(start, start + q.limit)
  const full = images.length > 0 && images.length === q.limit
  return full ? { images, nextMarker: images[images.length - 1]!.id } : { images }
}
