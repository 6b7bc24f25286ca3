import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import { freePort, runLifeboat, spawnLifeboat, type WatchedProcess } from '../../test/helpers/lifeboat-process.js'
import { waitUntil } from '../../test/helpers/wait-until.js'
import { keystoneLogin } from '../../src/util/keystone-login.js'
import { BenchClient } from './http.js'

/** A control plane and agents on this machine, each its own `lifeboat` process, as an operator starts them. */
export interface HostProcesses {
  dataDir: string
  url: string
  admin: BenchClient
  /** Host name → its agent process (output kept). */
  agents: Map<string, WatchedProcess>
  /** The agent's own folder (`--state-dir`). */
  stateDirOf(host: string): string
  /** SIGTERM to every agent, then to the control plane; waits for each to exit (kill -9 after 30 s). */
  stop(): Promise<void>
  /** Removes the data folder. */
  remove(): void
}

async function stopProcess(run: WatchedProcess): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return
  run.child.kill('SIGTERM')
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000)
  await run.exited
  clearTimeout(timer)
}

/**
 * `lifeboat control` on SQLite listening on loopback, then one `lifeboat agent`
 * per host name (driver `driver`, `--host-ip 127.0.0.1`, its own state folder,
 * a credential from `lifeboat agent-credential`); resolves once every agent
 * registered. Agents log at info (their output is what `agents` keeps); `agentEnv` adds to their environment.
 */
export async function startHostProcesses(hosts: string[], driver: 'fake' | 'qemu', agentEnv: Record<string, string> = {}): Promise<HostProcesses> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-hosts-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env = { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_HOST: '127.0.0.1' }
  const agents = new Map<string, WatchedProcess>()
  const stateDirOf = (host: string) => path.join(dataDir, `agent-${host}`)
  const control = await spawnLifeboat(['control'], { ...env, LIFEBOAT_PORT: String(port) })
  const stop = async () => {
    admin?.close()
    for (const agent of agents.values()) await stopProcess(agent)
    await stopProcess(control)
  }
  let admin: BenchClient | undefined
  try {
    const clouds = await waitUntil(() => {
      if (control.child.exitCode !== null) throw new Error(`lifeboat control exited: ${control.stderr()}`)
      const file = path.join(dataDir, 'clouds.yaml')
      return fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, 'utf8')) : undefined
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'the control plane wrote no clouds.yaml' })
    await waitUntil(async () => (await fetch(`${url}/compute/v2.1`).then((r) => r.ok).catch(() => false)) || undefined,
      { timeoutMs: 60_000, intervalMs: 100, what: 'the control plane does not answer' })
    const { token } = await keystoneLogin(`${url}/identity`, { userName: 'admin', password: clouds.clouds['lifeboat-admin'].auth.password, projectName: 'admin' })
    admin = new BenchClient(url, token)
    for (const host of hosts) {
      const issued = await runLifeboat(['agent-credential', host], env)
      if (issued.code !== 0) throw new Error(`agent-credential ${host}: ${issued.stderr}`)
      const credentialFile = path.join(dataDir, `${host}.credential`)
      fs.writeFileSync(credentialFile, issued.stdout.trim(), { mode: 0o600 })
      const agent = await spawnLifeboat(['agent', '--control-url', url, '--host', host, '--host-ip', '127.0.0.1', '--credential-file', credentialFile,
        '--state-dir', stateDirOf(host), '--driver', driver], { LIFEBOAT_LOG_LEVEL: 'info', ...agentEnv })
      agents.set(host, agent)
    }
    for (const [host, agent] of agents) {
      await waitUntil(() => {
        if (agent.child.exitCode !== null) throw new Error(`agent ${host} exited: ${agent.stderr()}`)
        return agent.stdout().includes(`compute agent ${host} registered`)
      }, { timeoutMs: 60_000, intervalMs: 100, what: () => `agent ${host} did not register: ${agent.stdout()} ${agent.stderr()}` })
    }
    return {
      dataDir, url, admin, agents, stateDirOf, stop,
      remove: () => fs.rmSync(dataDir, { recursive: true, force: true }),
    }
  } catch (error) {
    await stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
}
