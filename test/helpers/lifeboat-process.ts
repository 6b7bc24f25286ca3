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
    env: { ...process.env, LIFEBOAT_LOG_LEVEL: 'warn', ...env, LIFEBOAT_PORT: String(port) },
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
