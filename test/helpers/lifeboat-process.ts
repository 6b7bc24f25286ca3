import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { waitUntil } from './wait-until.js'
import { ensureBuilt } from '../../scripts/build.mjs'

const root = path.resolve(import.meta.dirname, '../..')

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts `lifeboat` as its own process (as `npm start` does) and waits until it answers; `output` gets its stdout and stderr. */
export async function startLifeboatProcess(env: Record<string, string>, port: number, output?: (chunk: Buffer) => void): Promise<ChildProcess> {
  // The compiled build, made here when stale so that tsc's time is not the start's.
  await ensureBuilt()
  const child = spawn(process.execPath, [path.join(root, 'bin/lifeboat.mjs')], {
    env: { ...process.env, LIFEBOAT_LOG_LEVEL: 'warn', LIFEBOAT_CONSOLE_PORT: '0', ...env, LIFEBOAT_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (output) {
    child.stdout!.on('data', output)
    child.stderr!.on('data', output)
  }
  child.stdout!.resume()
  child.stderr!.resume()
  return waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`lifeboat exited with ${child.exitCode}`)
    const ok = await fetch(`http://127.0.0.1:${port}/compute/v2.1`).then((r) => r.ok).catch(() => false)
    return ok ? child : undefined
  }, { timeoutMs: 30_000, intervalMs: 100, what: 'lifeboat did not start' })
}

/** kill -9, and wait until the process is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

/** A `lifeboat` process whose output is kept. */
export interface WatchedProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>
}

/** Spawns `lifeboat ARGS…` (the compiled build) with output kept; `uid` runs it as another user (root only). */
export async function spawnLifeboat(args: string[], env: Record<string, string>, options: { uid?: number; gid?: number } = {}): Promise<WatchedProcess> {
  await ensureBuilt()
  const child = spawn(process.execPath, [path.join(root, 'bin/lifeboat.mjs'), ...args], {
    env: { ...process.env, LIFEBOAT_LOG_LEVEL: 'warn', LIFEBOAT_CONSOLE_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** Runs a `lifeboat` command to its end (60 s at most): its exit code and output. */
export async function runLifeboat(args: string[], env: Record<string, string> = {}, options: { uid?: number; gid?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await spawnLifeboat(args, env, options)
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 60_000)
  const code = await run.exited
  clearTimeout(timer)
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}

/** Waits until a spawned all-in-one answers on `port`; fails if it exits first. */
export async function waitAnswering(run: WatchedProcess, port: number): Promise<void> {
  await waitUntil(async () => {
    if (run.child.exitCode !== null) throw new Error(`lifeboat exited with ${run.child.exitCode}: ${run.stderr()}`)
    return fetch(`http://127.0.0.1:${port}/compute/v2.1`).then((r) => r.ok).catch(() => false)
  }, { timeoutMs: 30_000, intervalMs: 100, what: 'lifeboat did not start' })
}
