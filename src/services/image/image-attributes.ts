import { Forbidden, InvalidRequest } from '../errors.js'
import {
  BASE_ATTRIBUTES, CONTAINER_FORMATS, DISK_FORMATS, READONLY_ATTRIBUTES, RESERVED_ATTRIBUTES, RESERVED_NAMESPACE, VISIBILITIES,
} from './image-records.js'
import { isUuid, UUID_PATTERN } from '../../util/uuid.js'
import { ServiceErrorCode } from '../error-codes.js'

function py(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (value === null) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  return JSON.stringify(value)
}

function enumText(values: readonly (string | null)[]): string {
  return `[${values.map(py).join(', ')}]`
}

function typeError(value: unknown, type: string): string {
  return `${py(value)} is not of type ${type}`
}

/** Why `value` breaks Glance's image schema for `key`, or null when it fits. */
export function schemaProblem(key: string, value: unknown): string | null {
  switch (key) {
    case 'id':
      if (typeof value !== 'string') return typeError(value, "'string'")
      return isUuid(value) ? null : `${py(value)} does not match '${UUID_PATTERN}'`
    case 'name':
    case 'owner':
      if (value !== null && typeof value !== 'string') return typeError(value, "'null', 'string'")
      return typeof value === 'string' && value.length > 255 ? `${py(value)} is too long` : null
    case 'visibility':
      return (VISIBILITIES as readonly unknown[]).includes(value) ? null : `${py(value)} is not one of ${enumText(['community', 'public', 'private', 'shared'])}`
    case 'protected':
    case 'os_hidden':
      return typeof value === 'boolean' ? null : typeError(value, "'boolean'")
    case 'min_ram':
    case 'min_disk':
      return Number.isInteger(value) ? null : typeError(value, "'integer'")
    case 'disk_format':
      return value === null || (DISK_FORMATS as readonly unknown[]).includes(value) ? null : `${py(value)} is not one of ${enumText([null, ...DISK_FORMATS])}`
    case 'container_format':
      return value === null || (CONTAINER_FORMATS as readonly unknown[]).includes(value) ? null : `${py(value)} is not one of ${enumText([null, ...CONTAINER_FORMATS])}`
    case 'tags':
      if (!Array.isArray(value)) return typeError(value, "'array'")
      for (const tag of value) {
        if (typeof tag !== 'string') return typeError(tag, "'string'")
        if (tag.length > 255) return `${py(tag)} is too long`
      }
      return null
    case 'size':
    case 'virtual_size':
      return value === null || Number.isInteger(value) ? null : typeError(value, "'null', 'integer'")
    default:
      if (BASE_ATTRIBUTES.has(key)) return null
      // PermissiveSchema: additionalProperties {"type": "string"}.
      return typeof value === 'string' ? null : typeError(value, "'string'")
  }
}

/** 400 in Glance's words when `value` breaks the schema for `key`. */
export function assertSchema(key: string, value: unknown): void {
  const problem = schemaProblem(key, value)
  if (problem) throw new InvalidRequest(`Provided object does not match schema 'image': ${problem}`, ServiceErrorCode.IMAGE_SCHEMA)
}

/** 403 for read-only and reserved attributes, as Glance's deserializer does. */
export function assertWritable(key: string): void {
  if (READONLY_ATTRIBUTES.includes(key)) throw new Forbidden(`Attribute '${key}' is read-only.`, ServiceErrorCode.IMAGE_READONLY)
  if (RESERVED_ATTRIBUTES.includes(key) || key.startsWith(RESERVED_NAMESPACE)) throw new Forbidden(`Attribute '${key}' is reserved.`, ServiceErrorCode.IMAGE_RESERVED)
}

/** 400 for a negative `min_ram`/`min_disk` (Glance's domain setter). */
export function assertNotNegative(key: string, value: unknown): void {
  if ((key === 'min_ram' || key === 'min_disk') && typeof value === 'number' && value < 0) {
    throw new InvalidRequest(`Invalid value '${value}' for parameter '${key}': Cannot be a negative value.`, ServiceErrorCode.IMAGE_NEGATIVE)
  }
}

/** The create body split as Glance does: core attributes, custom properties, tags. */
export interface ParsedImageCreate {
  id?: string
  name: string | null
  visibility?: (typeof VISIBILITIES)[number]
  protected: boolean
  osHidden: boolean
  owner?: string
  diskFormat: string | null
  containerFormat: string | null
  minRam: number
  minDisk: number
  tags: string[]
  properties: Record<string, string>
}

const CREATE_DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores']

/**
 * Reads a `POST /v2/images` body in Glance's order: disallowed keys (403),
 * schema (400), read-only/reserved keys (403), long property names (400).
 */
export function parseImageCreate(body: Record<string, unknown>): ParsedImageCreate {
  for (const key of CREATE_DISALLOWED) if (key in body) throw new Forbidden(`Attribute '${key}' is read-only.`, ServiceErrorCode.IMAGE_READONLY)
  for (const [key, value] of Object.entries(body)) assertSchema(key, value)
  const properties: Record<string, string> = {}
  for (const [key, value] of Object.entries(body)) {
    if (key !== 'id') assertWritable(key)
    if (BASE_ATTRIBUTES.has(key)) continue
    if (key.length > 255) throw new InvalidRequest('Custom property should not be greater than 255 characters.', ServiceErrorCode.IMAGE_PROPERTY_NAME)
    properties[key] = value as string
  }
  assertNotNegative('min_ram', body.min_ram)
  assertNotNegative('min_disk', body.min_disk)
  const owner = body.owner as string | null | undefined
  return {
    id: body.id as string | undefined,
    name: (body.name as string | null | undefined) ?? null,
    visibility: body.visibility as ParsedImageCreate['visibility'],
    protected: (body.protected as boolean | undefined) ?? false,
    osHidden: (body.os_hidden as boolean | undefined) ?? false,
    owner: owner ?? undefined,
    diskFormat: (body.disk_format as string | null | undefined) ?? null,
    containerFormat: (body.container_format as string | null | undefined) ?? null,
    minRam: (body.min_ram as number | undefined) ?? 0,
    minDisk: (body.min_disk as number | undefined) ?? 0,
    tags: [...new Set((body.tags as string[] | undefined) ?? [])],
    properties,
  }
}
