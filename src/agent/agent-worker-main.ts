import { parentPort, workerData } from 'node:worker_threads'
// pino's own serializers, without pino itself: ~4 MiB less in this thread.
import { err as serializeError } from 'pino-std-serializers'
import { createDriver } from '../virt/driver-factory.js'
import { startComputeAgent, withBindings, type AgentLog, type ComputeAgent } from './compute-agent.js'
import type { EmbeddedAgentData, FromAgentThread, LogLevel, ToAgentThread } from './embedded-agent-messages.js'

const port = parentPort!
const data = workerData as EmbeddedAgentData
const send = (message: FromAgentThread) => port.postMessage(message)

/** Errors cross threads as plain fields, serialized the way pino logs them. */
function plain(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? serializeError(value) : value]))
}

const logAt = (level: LogLevel) => (fields: Record<string, unknown>, message: string) => send({ type: 'log', level, fields: plain(fields), message })
const log: AgentLog = { info: logAt('info'), warn: logAt('warn'), error: logAt('error') }
const fail = (error: unknown) => send({ type: 'failed', message: error instanceof Error ? error.message : String(error) })

// The driver is made while the control plane starts; the agent registers once it answers.
const chosen = createDriver(data.agent, data.stateDir, withBindings(log, { component: 'virt-driver' }))
chosen.then(({ reason }) => send({ type: 'driver', reason }), fail)
let agent: ComputeAgent | null = null
port.on('message', (message: ToAgentThread) => {
  if (message.type === 'start') {
    chosen.then(({ driver }) => startComputeAgent({ controlUrl: message.controlUrl, host: data.agent.hostName, credential: message.credential, tls: message.tls, driver, stateDir: data.stateDir, log }))
      .then((started) => {
        agent = started
        send({ type: 'ready', session: started.session })
      }, fail)
  } else {
    void (agent?.stop() ?? Promise.resolve()).finally(() => send({ type: 'stopped' }))
  }
})
