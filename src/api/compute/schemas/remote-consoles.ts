import { Type, type TSchema } from '@sinclair/typebox'
import { InvalidRequest } from '../../../services/errors.js'
import { isAtLeast, type Microversion } from '../../common/microversion.js'
import type { ConsoleProtocol } from '../../../services/compute/remote-consoles.js'
import { Any, Closed } from './response-parts.js'
import { pyRepr, pyStr } from './python-repr.js'

/*
 * nova/api/openstack/compute/schemas/remote_consoles.py. The remote-consoles
 * body is checked by hand so a refusal carries Nova's jsonschema words (the
 * first error in schema order: properties, then required, then additional).
 * The enums keep the types Nova no longer serves (xvpvnc, rdp): Nova accepts
 * them here and refuses them further down, and so does Lifeboat.
 */

const PROTOCOLS_2_6: ConsoleProtocol[] = ['vnc', 'spice', 'serial', 'rdp']
const TYPES_2_6 = ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5']
const PROTOCOLS_2_8: ConsoleProtocol[] = [...PROTOCOLS_2_6, 'mks']
const TYPES_2_8 = [...TYPES_2_6, 'webmks']

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Nova's message for an error below the root: the last path element, the value, jsonschema's words. */
function invalid(field: string, value: unknown, message: string): InvalidRequest {
  return new InvalidRequest(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`)
}

/** An object's `properties` (each a string of `allowed`), then `required`, then `additionalProperties`. */
function checkObject(value: unknown, field: string | null, properties: Record<string, string[] | null>): Record<string, unknown> {
  const fail = (message: string) => (field === null ? new InvalidRequest(message) : invalid(field, value, message))
  if (!isObject(value)) throw fail(`${pyRepr(value)} is not of type 'object'`)
  for (const [key, allowed] of Object.entries(properties)) {
    if (!Object.hasOwn(value, key) || allowed === null) continue
    const item = value[key]
    if (typeof item !== 'string') throw invalid(key, item, `${pyRepr(item)} is not of type 'string'`)
    if (!allowed.includes(item)) throw invalid(key, item, `${pyRepr(item)} is not one of ${pyRepr(allowed)}`)
  }
  const missing = Object.keys(properties).find((key) => !Object.hasOwn(value, key))
  if (missing) throw fail(`'${missing}' is a required property`)
  const extra = Object.keys(value).filter((key) => !Object.hasOwn(properties, key))
  if (extra.length) throw fail(`Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`)
  return value
}

/** `POST /servers/{id}/remote-consoles`: `create_v26` (2.6, 2.7) or `create_v28` (2.8+, adds mks/webmks). */
export function parseRemoteConsoleBody(body: unknown, microversion: Microversion): { protocol: ConsoleProtocol; type: string } {
  const v28 = isAtLeast(microversion, '2.8')
  const root = checkObject(body, null, { remote_console: null })
  const console = checkObject(root.remote_console, 'remote_console', { protocol: v28 ? PROTOCOLS_2_8 : PROTOCOLS_2_6, type: v28 ? TYPES_2_8 : TYPES_2_6 })
  return { protocol: console.protocol as ConsoleProtocol, type: console.type as string }
}

const TypeOf = (...types: string[]) => Type.Object({ type: Type.Union(types.map((t) => Type.Literal(t))) }, { additionalProperties: false })

/**
 * The ≤ 2.5 console actions' bodies (for the action dispatcher).
 * `os-getRDPConsole`'s schema is empty since Nova 29.0.0: any body, and the
 * action refuses.
 */
export const CONSOLE_ACTION_SCHEMAS: Record<string, TSchema> = {
  'os-getVNCConsole': TypeOf('novnc', 'xvpvnc'),
  'os-getSPICEConsole': TypeOf('spice-html5'),
  'os-getSerialConsole': TypeOf('serial'),
  'os-getRDPConsole': Type.Unknown(),
}

/** `POST /servers/{id}/remote-consoles` (200). */
export const RemoteConsoleResponse = { 200: Closed({ remote_console: Closed({ protocol: Any, type: Any, url: Any }) }) }

/** `GET /os-console-auth-tokens/{token}` (admin). */
export const ConsoleAuthTokenResponse = { 200: Closed({ console: Closed({ instance_uuid: Any, host: Any, port: Any, internal_access_path: Any }) }) }
