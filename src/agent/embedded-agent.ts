import { Worker } from 'node:worker_threads'
import type { AgentLog, ComputeAgent } from './compute-agent.js'
import type { AgentConnection, EmbeddedAgentData, FromAgentThread, ToAgentThread } from './embedded-agent-messages.js'

/**
 * The thread's entry beside this module: compiled (dist/, `npm start`) the
 * compiled main; run from the TypeScript sources (tests, bench, under tsx) a
 * plain .mjs that registers tsx first, since a worker does not inherit the
 * loader that `register()` installed in this thread.
 */
export function workerEntry(moduleUrl: string): URL {
  return new URL(moduleUrl.endsWith('.ts') ? './agent-worker.mjs' : './agent-worker-main.js', moduleUrl)
}

/** The all-in-one's agent thread, launched; `start` once the control plane answers. */
export interface LaunchedAgent {
  /** Registers with the control plane; resolves once the agent leases work. */
  start(connection: AgentConnection): Promise<ComputeAgent>
  /** Ends the thread (the agent stops first when it runs). */
  stop(): Promise<void>
}

/**
 * Launches the all-in-one's compute agent in its own thread: the same agent
 * a remote host runs (`startComputeAgent`, talking to the control plane over
 * the agent API), off the API's event loop. The thread loads and makes its
 * driver while the control plane starts; `onDriverChosen` hears which.
 */
export function launchEmbeddedAgent(data: EmbeddedAgentData, log: AgentLog, onDriverChosen: (reason: string) => void): LaunchedAgent {
  const worker = new Worker(workerEntry(import.meta.url), { workerData: data })
  const post = (message: ToAgentThread) => worker.postMessage(message)
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
  let stopping = false
  let waiting: { resolve: (session: string) => void; reject: (error: Error) => void } | null = null
  let failure: Error | null = null

  const onFailure = (error: Error) => {
    failure ??= error
    waiting?.reject(error)
    waiting = null
  }
  worker.on('message', (message: FromAgentThread) => {
    if (message.type === 'driver') onDriverChosen(message.reason)
    else if (message.type === 'log') log[message.level](message.fields, message.message)
    else if (message.type === 'failed') onFailure(new Error(`the embedded compute agent did not start: ${message.message}`))
    else if (message.type === 'ready') waiting?.resolve(message.session)
  })
  worker.on('error', (error) => {
    log.error({ err: error }, 'the embedded compute agent failed')
    onFailure(error)
  })
  void exited.then((code) => {
    if (!stopping) log.error({ code }, 'the embedded compute agent stopped unexpectedly')
    onFailure(new Error(`the embedded compute agent exited with code ${code}`))
  })

  const stop = async () => {
    if (stopping) return
    stopping = true
    const stopped = new Promise<void>((resolve) => worker.on('message', (m: FromAgentThread) => m.type === 'stopped' && resolve()))
    post({ type: 'stop' })
    await Promise.race([stopped, exited])
    await worker.terminate()
  }

  return {
    async start(connection) {
      if (failure) throw failure
      const session = await new Promise<string>((resolve, reject) => {
        waiting = { resolve, reject }
        post({ type: 'start', ...connection })
      })
      return { session, stop }
    },
    stop,
  }
}
