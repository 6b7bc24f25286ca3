import type { ConsoleKind } from '../../agent-api/index.js'
import type { Store } from '../store.js'
import type { ConsoleTarget, ConsoleTokens, ConsoleType } from './console-tokens.js'
import { VmState } from '../compute/instance-states.js'

/** What a viewer's token opens, once the instance is known to still have a console. */
export interface ConsoleOpening {
  target: ConsoleTarget
  /** The compute host running the instance now: its agent serves the stream. */
  host: string
  /** The agent's console for the token's type. */
  console: ConsoleKind
}

/** Nova's console types → the agent's consoles (`novnc` is VNC through noVNC). */
const AGENT_CONSOLE: Record<ConsoleType, ConsoleKind> = { novnc: 'vnc', serial: 'serial' }

/** States with a guest that runs (Nova serves consoles while rescued too). */
const CONSOLE_STATES: readonly string[] = [VmState.ACTIVE, VmState.RESCUED]

/**
 * The console proxy's check of a viewer's token (Nova's
 * `NovaProxyRequestHandler._get_connect_info` + `validate_console_port`): the
 * token is valid and unexpired, and its instance still exists, runs (active
 * or rescued) and has a host. Anything else is null: the proxy closes the
 * viewer without a word, as Nova does.
 */
export class ConsoleAccess {
  readonly #deps: Store & { tokens: ConsoleTokens }
  constructor(deps: Store & { tokens: ConsoleTokens }) {
    this.#deps = deps
  }

  /** The opening for `token`, or null (unknown, expired, instance gone or not running). */
  async open(token: string): Promise<ConsoleOpening | null> {
    const target = await this.#deps.tokens.validate(token)
    if (!target) return null
    const row = await this.#deps.db.selectFrom('instances').select(['host', 'vm_state', 'project_id'])
      .where('uuid', '=', target.instanceUuid).where('deleted', '=', 0)
      .executeTakeFirst()
    if (!row || !row.host || row.project_id !== target.projectId || !CONSOLE_STATES.includes(row.vm_state)) return null
    return { target, host: row.host, console: AGENT_CONSOLE[target.consoleType] }
  }
}
