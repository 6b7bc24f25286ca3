import { Conflict, Forbidden, InvalidRequest, LifeboatError } from '../errors.js'
import { assertNotNegative, assertSchema, assertWritable } from './image-attributes.js'
import { BASE_ATTRIBUTES } from './image-records.js'
import { ServiceErrorCode } from '../error-codes.js'

/** The two PATCH media types and the JSON-schema draft each speaks (Glance's `content_types`). */
export const PATCH_MEDIA_TYPES: Record<string, 4 | 10> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
}

const OPERATIONS = ['add', 'remove', 'replace'] as const
type Operation = (typeof OPERATIONS)[number]

/** One validated change: `op` on the attribute `path[0]`. */
export interface ImageChange {
  op: Operation
  path: string[]
  value?: unknown
  draft: 4 | 10
}

/** 415 with Glance's `Accept-Patch` header. */
export class PatchMediaTypeUnsupported extends LifeboatError {
  constructor() {
    const allowed = Object.keys(PATCH_MEDIA_TYPES).sort().join(', ')
    super(`Image PATCH expects Content-Type one of: ${allowed}`, ServiceErrorCode.IMAGE_PATCH_MEDIA_TYPE, 415, { headers: { 'Accept-Patch': allowed } })
  }
}

/** The JSON-schema draft for a PATCH content type; 415 for any other. */
export function patchDraftOf(contentType: string | undefined): 4 | 10 {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  const draft = Object.hasOwn(PATCH_MEDIA_TYPES, base) ? PATCH_MEDIA_TYPES[base] : undefined
  if (draft === undefined) throw new PatchMediaTypeUnsupported()
  return draft
}

function bad(message: string): never {
  throw new InvalidRequest(message, ServiceErrorCode.IMAGE_BAD_PATCH)
}

function operationOf(raw: Record<string, unknown>, draft: 4 | 10): Operation {
  if (draft === 10) {
    const op = raw.op
    if (op === undefined || op === null) bad(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${OPERATIONS.join(', ')}.`)
    if (!OPERATIONS.includes(op as Operation)) bad(`Invalid operation: \`${String(op)}\`. It must be one of the following: ${OPERATIONS.join(', ')}.`)
    return op as Operation
  }
  const present = OPERATIONS.filter((key) => key in raw)
  if (present.length > 1) bad('Operation objects must contain only one member named "add", "remove", or "replace".')
  if (present.length === 0) bad('Operation objects must contain exactly one member named "add", "remove", or "replace".')
  return present[0]!
}

/** Glance's `_decode_json_pointer`, with its limits on what a pointer may look like. */
export function decodePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') bad(`Pointer \`${String(pointer)}\` does not start with "/".`)
  if (!pointer.startsWith('/')) bad(`Pointer \`${pointer}\` does not start with "/".`)
  if (/\/\s*?\//.test(pointer.slice(1))) bad(`Pointer \`${pointer}\` contains adjacent "/".`)
  if (pointer.length > 1 && pointer.endsWith('/')) bad(`Pointer \`${pointer}\` end with "/".`)
  if (pointer.slice(1).trim() === '/') bad(`Pointer \`${pointer}\` does not contains valid token.`)
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) bad(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`)
  return pointer.replace(/^\/+/, '').split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~').trim())
}

const PATH_DEPTH: Record<string, Partial<Record<Operation, number>>> = { locations: { add: 2, remove: 2, replace: 1 } }

/**
 * Reads a PATCH body as Glance's deserializer does: a list of operation
 * objects in either dialect, each path checked, read-only and reserved
 * attributes refused (403) and values checked against the schema (400).
 */
export function parseImagePatch(body: unknown, draft: 4 | 10): ImageChange[] {
  if (body === undefined || body === null) bad('Body expected in request.')
  if (!Array.isArray(body)) bad('Request body must be a JSON array of operation objects.')
  return body.map((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('Operations must be JSON objects.')
    const change = raw as Record<string, unknown>
    const op = operationOf(change, draft)
    if (draft === 10 && !('path' in change)) bad("Unable to find 'path' in JSON Schema change")
    const path = decodePointer(draft === 10 ? change.path : change[op])
    const root = path[0]!
    if (path.length !== ((Object.hasOwn(PATH_DEPTH, root) ? PATH_DEPTH[root]![op] : undefined) ?? 1)) bad(`Invalid JSON pointer for this resource: '/${path.join('/')}'`)
    if (op !== 'remove' && !('value' in change)) bad(`Operation "${op}" requires a member named "value".`)
    assertWritable(root)
    if (op !== 'remove' && path.length === 1) assertSchema(root, change.value)
    return { op, path, value: change.value, draft }
  })
}

/** What a PATCH may change: the writable core attributes, tags and properties. */
export interface ImageDraft {
  core: Record<string, unknown>
  tags: string[]
  properties: Record<string, string>
}

/** What the rules need to know about the caller and the image. */
export interface PatchContext {
  isAdmin: boolean
  status: string
}

function setCore(draft: ImageDraft, key: string, value: unknown, ctx: PatchContext): void {
  if (key === 'tags') {
    draft.tags = [...new Set(value as string[])]
    return
  }
  if ((key === 'disk_format' || key === 'container_format') && !['queued', 'importing'].includes(ctx.status)) {
    throw new Forbidden(`Attribute ${key} can be only replaced for a queued image.`, ServiceErrorCode.IMAGE_FORMAT_LOCKED)
  }
  if (key === 'visibility' && value === 'public' && !ctx.isAdmin) {
    throw new Forbidden('You are not authorized to complete publicize_image action.', ServiceErrorCode.POLICY_NOT_AUTHORIZED)
  }
  assertNotNegative(key, value)
  draft.core[key] = value
}

function locationsRefused(op: Operation, value: unknown): never {
  if (op === 'replace' && Array.isArray(value) && value.length === 0) throw new Forbidden('Cannot set locations to empty list.')
  const verb = op === 'add' ? 'add' : op === 'remove' ? 'remove' : 'update'
  throw new Forbidden(`It's not allowed to ${verb} locations if locations are invisible.`, ServiceErrorCode.IMAGE_LOCATIONS)
}

/** Applies validated changes in order to `draft` (Glance's `_do_add/_do_replace/_do_remove`). */
export function applyImageChanges(draft: ImageDraft, changes: ImageChange[], ctx: PatchContext): void {
  for (const change of changes) {
    const key = change.path[0]!
    const isCore = BASE_ATTRIBUTES.has(key)
    if (key === 'locations') locationsRefused(change.op, change.value)
    if (change.op === 'replace') {
      if (key === 'owner' && !ctx.isAdmin) throw new Forbidden("Owner can't be updated by non admin.", ServiceErrorCode.IMAGE_OWNER)
      if (isCore) setCore(draft, key, change.value, ctx)
      else if (Object.hasOwn(draft.properties, key)) draft.properties[key] = change.value as string
      else throw new Conflict(`Property ${key} does not exist.`, ServiceErrorCode.IMAGE_NO_PROPERTY)
    } else if (change.op === 'add') {
      if (change.draft === 4 && (isCore || Object.hasOwn(draft.properties, key))) throw new Conflict(`Property ${key} already present.`, ServiceErrorCode.IMAGE_PROPERTY_PRESENT)
      if (key === 'owner' && !ctx.isAdmin) throw new Forbidden("Owner can't be updated by non admin.", ServiceErrorCode.IMAGE_OWNER)
      if (isCore) setCore(draft, key, change.value, ctx)
      else draft.properties[key] = change.value as string
    } else if (isCore) {
      throw new Forbidden(`Property ${key} may not be removed.`, ServiceErrorCode.IMAGE_CORE_REMOVE)
    } else if (Object.hasOwn(draft.properties, key)) {
      delete draft.properties[key]
    } else {
      throw new Conflict(`Property ${key} does not exist.`, ServiceErrorCode.IMAGE_NO_PROPERTY)
    }
  }
}
