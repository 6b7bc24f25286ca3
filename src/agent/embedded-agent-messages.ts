import type { AgentConfig } from '../config.js'
import type { AgentTls } from '../util/tls.js'

/** What the embedded agent's thread is launched with. */
export interface EmbeddedAgentData {
  agent: AgentConfig & { shutdownTimeoutSeconds: number }
  stateDir: string
}

/** Where the control plane answers, once it does. */
export interface AgentConnection {
  controlUrl: string
  credential: string
  /** How to trust the control plane when it serves TLS (plain data: it crosses threads). */
  tls?: AgentTls
}

export type LogLevel = 'info' | 'warn' | 'error'

/** Messages from the agent's thread to the control plane's. */
export type FromAgentThread =
  | { type: 'driver'; reason: string }
  | { type: 'ready'; session: string }
  | { type: 'failed'; message: string }
  | { type: 'log'; level: LogLevel; fields: Record<string, unknown>; message: string }
  | { type: 'stopped' }

/** Messages to the agent's thread. */
export type ToAgentThread = ({ type: 'start' } & AgentConnection) | { type: 'stop' }
