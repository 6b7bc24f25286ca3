import { execFileSync, spawn } from 'node:child_process'
import path from 'node:path'
import { ensureBuilt } from '../../../scripts/build.mjs'
import type { WatchedProcess } from '../../helpers/lifeboat-process.js'

const root = path.resolve(import.meta.dirname, '../../..')

/** Runs `ip ARGS…` (root only); throws with its stderr on failure. */
function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** `ip ARGS…`, its failure ignored (cleanup of what may be gone already). */
function ipQuiet(args: string[]): void {
  try {
    ip(args)
  } catch {
    // Already gone.
  }
}

function linkExists(name: string): boolean {
  try {
    ip(['link', 'show', name])
    return true
  } catch {
    return false
  }
}

/** Why namespaces cannot be made here (not root, no iproute2), or false when they can. */
export function netnsUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  try {
    ip(['netns', 'list'])
    return false
  } catch (error) {
    return `ip netns does not work here: ${(error as Error).message.split('\n')[0]}`
  }
}

/** One simulated host: a network namespace with one veth link to the bridge. */
export interface NetnsHost {
  /** 1, 2, …: its index. */
  readonly index: number
  /** The namespace, `lb-host-<tag>-<index>`. */
  readonly namespace: string
  /** Its address on the bridge (`10.250.<tag>.<10 + index>`). */
  readonly address: string
  /** The veth end in the root namespace: set down to cut the host off. */
  readonly rootLink: string
}

/**
 * N "hosts" on one machine, as an operator would lay out real ones on a LAN:
 * a bridge `lbbr<tag>` in the root namespace holding 10.250.<tag>.1/24 (where
 * the control plane listens), and per host a network namespace joined to it
 * by a veth pair. The tag is unique per test process (free bridge names from
 * its pid), so test files in parallel never share names. `remove()` undoes
 * everything and is also run at process exit and on SIGINT/SIGTERM, so a
 * failed or interrupted run leaves nothing.
 */
export class NetnsHosts {
  readonly tag: number
  readonly bridge: string
  /** The root namespace's address on the bridge: the control plane's. */
  readonly gateway: string
  readonly hosts: NetnsHost[] = []
  #removed = false
  readonly #onExit = () => this.remove()
  /** A SIGINT/SIGTERM (a runner's timeout, ^C) skips 'exit' handlers: clean up, then die of the same signal. */
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.remove()
    process.kill(process.pid, signal)
  }

  private constructor(tag: number) {
    this.tag = tag
    this.bridge = `lbbr${tag}`
    this.gateway = `10.250.${tag}.1`
  }

  /** Makes the bridge and `count` namespaced hosts. */
  static create(count: number): NetnsHosts {
    let tag = 20 + (process.pid % 200)
    for (let tries = 0; linkExists(`lbbr${tag}`); tries++) {
      if (tries > 200) throw new Error('no free lbbr<tag> bridge name')
      tag = 20 + ((tag - 19) % 200)
    }
    const made = new NetnsHosts(tag)
    process.once('exit', made.#onExit)
    process.once('SIGINT', made.#onSignal)
    process.once('SIGTERM', made.#onSignal)
    try {
      made.#build(count)
    } catch (error) {
      made.remove()
      throw error
    }
    return made
  }

  #build(count: number): void {
    ip(['link', 'add', this.bridge, 'type', 'bridge'])
    ip(['addr', 'add', `${this.gateway}/24`, 'dev', this.bridge])
    ip(['link', 'set', this.bridge, 'up'])
    for (let index = 1; index <= count; index++) {
      const host: NetnsHost = { index, namespace: `lb-host-${this.tag}-${index}`, address: `10.250.${this.tag}.${10 + index}`, rootLink: `lbv${this.tag}h${index}` }
      this.hosts.push(host)
      ip(['netns', 'add', host.namespace])
      ip(['link', 'add', host.rootLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.namespace])
      ip(['link', 'set', host.rootLink, 'master', this.bridge])
      ip(['link', 'set', host.rootLink, 'up'])
      const inside = (args: string[]) => ip(['netns', 'exec', host.namespace, 'ip', ...args])
      inside(['link', 'set', 'lo', 'up'])
      inside(['addr', 'add', `${host.address}/24`, 'dev', 'eth0'])
      inside(['link', 'set', 'eth0', 'up'])
    }
  }

  /** Cuts a host off the network (its veth end in the root namespace down): packets are lost, connections stall. */
  partition(host: NetnsHost): void {
    ip(['link', 'set', host.rootLink, 'down'])
  }

  /** Joins a partitioned host again. */
  heal(host: NetnsHost): void {
    ip(['link', 'set', host.rootLink, 'up'])
  }

  /** Spawns `lifeboat ARGS…` (the compiled build) inside a host's namespace, its output kept. */
  async spawnLifeboat(host: NetnsHost, args: string[], env: Record<string, string>): Promise<WatchedProcess> {
    await ensureBuilt()
    // `ip netns exec` execs the command in place: the child's pid is node's, so kill -9 hits the agent itself.
    const child = spawn('ip', ['netns', 'exec', host.namespace, process.execPath, path.join(root, 'bin/lifeboat.mjs'), ...args], {
      env: { ...process.env, LIFEBOAT_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
    return { child, stdout: () => out, stderr: () => err, exited }
  }

  /** Deletes the namespaces (their veth pairs go with them) and the bridge; safe to call twice. */
  remove(): void {
    if (this.#removed) return
    this.#removed = true
    process.removeListener('exit', this.#onExit)
    process.removeListener('SIGINT', this.#onSignal)
    process.removeListener('SIGTERM', this.#onSignal)
    for (const host of this.hosts) {
      ipQuiet(['link', 'del', host.rootLink])
      ipQuiet(['netns', 'del', host.namespace])
    }
    ipQuiet(['link', 'del', this.bridge])
  }
}
