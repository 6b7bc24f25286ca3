import type { Store, ServerConsoleTokens } from './ports.js'
import type { CallContext } from './call-context.js'
import type { ConsoleType } from '../consoles/console-tokens.js'
import { authorize } from '../policy.js'
import { getInstanceRow } from './instance-store.js'
import { ConsoleTokenNotFound, ConsoleTypeInvalid, ConsoleTypeUnavailable, InstanceInvalidState, InstanceNotReady } from './compute-errors.js'
import { TaskState, VmState } from './instance-states.js'

/** Nova's console protocols (`remote_consoles.py` `create_v28`); `rdp` is refused as Nova refuses it since 29.0.0. */
export type ConsoleProtocol = 'vnc' | 'spice' | 'serial' | 'rdp' | 'mks'

/** What a console request names, and where its proxy is. */
export interface RemoteConsoleRequest {
  protocol: ConsoleProtocol
  /** Nova's console type as the client sent it (`novnc`, `serial`, `xvpvnc`, `spice-html5`, `rdp-html5`, `webmks`). */
  type: string
  /**
   * The proxy URL (without the token) a console of this type is reached at,
   * built by the API from the host the client used; null when no console proxy
   * runs, which makes the type unavailable as a disabled proxy does in Nova.
   */
  accessUrlBase(type: ConsoleType): string | null
}

/** What a console token shows an admin (`os-console-auth-tokens`). */
export interface ConsoleTokenInfo {
  instanceUuid: string
  host: string
  consoleType: ConsoleType
  accessUrlBase: string
}

/** The compute API's method names in Nova's invalid-state texts (`Cannot 'get_vnc_console' instance …`). */
const NOVA_METHOD: Record<ConsoleProtocol, string> = {
  vnc: 'get_vnc_console', spice: 'get_spice_console', serial: 'get_serial_console', rdp: 'get_rdp_console', mks: 'get_mks_console',
}


/**
 * vm_states whose guest process runs, so its consoles exist: a paused guest
 * keeps its QEMU process (a still screen, a silent serial line), a rescued one
 * runs its rescue boot; a stopped or suspended one has no process.
 */
const CONSOLE_STATES: readonly string[] = [VmState.ACTIVE, VmState.PAUSED, VmState.RESCUED]

/**
 * Lifeboat's console of a (protocol, type) pair, or Nova's refusal: the
 * manager's order of checks, with VNC and serial enabled and SPICE and MKS
 * not (`ConsoleTypeUnavailable`), and a type the protocol does not have
 * `ConsoleTypeInvalid` (`xvpvnc` since the XenAPI driver went).
 */
function servedType(protocol: ConsoleProtocol, type: string): ConsoleType {
  if (protocol === 'vnc' && type === 'novnc') return 'novnc'
  if (protocol === 'serial' && type === 'serial') return 'serial'
  if (protocol === 'vnc' || protocol === 'serial') throw new ConsoleTypeInvalid(type)
  throw new ConsoleTypeUnavailable(type)
}

/** Nova's `ConsoleAuthToken.access_url`: noVNC (1.1+) takes the token inside its `path` parameter, the others as `token`. */
export function consoleAccessUrl(type: ConsoleType, accessUrlBase: string, token: string): string {
  if (type === 'novnc') return `${accessUrlBase}?${new URLSearchParams({ path: `?token=${token}` }).toString()}`
  return `${accessUrlBase}?token=${encodeURIComponent(token)}`
}

/**
 * `POST /servers/{id}/remote-consoles` and the ≤ 2.5 `os-get*Console`
 * actions: a console URL with a new token. Another project's server is a 404
 * before anything is stored; the checks run in Nova's order (host, task
 * state, console type, proxy), then the guest must be running.
 */
export async function getRemoteConsole(deps: Store & { consoles: Pick<ServerConsoleTokens, 'issue'> }, call: CallContext, id: string, request: RemoteConsoleRequest): Promise<{ url: string }> {
  const auth = authorize(call.auth, 'os_compute_api:os-remote-consoles', 'member')
  const row = await getInstanceRow(deps.db, auth, id)
  // Nova's controller refuses the removed RDP console by its protocol name.
  if (request.protocol === 'rdp') throw new ConsoleTypeUnavailable('rdp')
  if (!row.host) throw new InstanceNotReady(row.uuid)
  // Nova's `reject_instance_state(task_state=[DELETING, MIGRATING])`; Lifeboat does not migrate.
  if (row.task_state === TaskState.DELETING) throw new InstanceInvalidState(NOVA_METHOD[request.protocol], row.uuid, 'task_state', row.task_state)
  const type = servedType(request.protocol, request.type)
  const accessUrlBase = request.accessUrlBase(type)
  if (accessUrlBase === null) throw new ConsoleTypeUnavailable(type)
  if (!CONSOLE_STATES.includes(row.vm_state)) throw new InstanceNotReady(row.uuid)
  const { token } = await deps.consoles.issue({ consoleType: type, instanceUuid: row.uuid, projectId: row.project_id, host: row.host, accessUrlBase })
  return { url: consoleAccessUrl(type, accessUrlBase, token) }
}

/** `GET /os-console-auth-tokens/{token}` (admin): what an unexpired token opens, else Nova's 404 "Token not found". */
export async function showConsoleToken(deps: { consoles: Pick<ServerConsoleTokens, 'validate'> }, call: CallContext, token: string): Promise<ConsoleTokenInfo> {
  authorize(call.auth, 'os_compute_api:os-console-auth-tokens', 'admin')
  const target = await deps.consoles.validate(token)
  if (!target) throw new ConsoleTokenNotFound()
  return { instanceUuid: target.instanceUuid, host: target.host, consoleType: target.consoleType, accessUrlBase: target.accessUrlBase }
}
