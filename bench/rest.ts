import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { ensureBuilt } from '../scripts/build.mjs'
import { commandOf, cpuNs, processTree, rssBytes } from './lib/process-tree.js'
import { note, section } from './lib/report.js'
import { ms, verdict } from './lib/stats.js'

const root = path.resolve(import.meta.dirname, '..')
const MiB = 1024 * 1024
const LABEL_WIDTH = 46

/** How the all-in-one is started: the compiled build (`npm start`), or its sources through tsx (before issue 11). */
export type RestStart = 'compiled' | 'tsx'

/** Node's arguments for a start: `npm start`'s own command line (package.json), or the old bin. */
function startArgs(start: RestStart): string[] {
  if (start === 'tsx') return [path.join(root, 'bench/lib/tsx-start.mjs')]
  const script = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  const [command, ...args] = script.split(/\s+/)
  if (command !== 'node') throw new Error(`npm start is not a node command line: ${script}`)
  return args
}

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec))

function goalLine(label: string, value: string, goal: string, met: string): void {
  console.log(`   ${label.padEnd(LABEL_WIDTH)} ${value.padStart(10)}   [goal ${goal}: ${met}]`)
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/**
 * Issue 11: the all-in-one at rest with the fake driver, started as
 * `npm start` starts it (its command line from package.json, without npm's own process)
 * on a fresh data folder and a free port: start → API answering, then,
 * after a settle, RSS of its process tree and its idle CPU over `idleSeconds`.
 */
export async function runRestBench(start: RestStart = 'compiled', idleSeconds = 5): Promise<void> {
  section(`At rest (issue 11) — ${start === 'compiled' ? 'compiled build (npm start)' : 'TypeScript sources through tsx (the start before issue 11)'}, fake driver, SQLite`)
  if (os.platform() !== 'linux') throw new Error('reads /proc: Linux only')
  if (start === 'compiled') await ensureBuilt()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-rest-'))
  const port = await freePort()
  const t0 = performance.now()
  const child = spawn(process.execPath, [...startArgs(start), '--data-dir', dataDir, '--port', String(port), '--driver', 'fake'], {
    cwd: root, env: { ...process.env, LIFEBOAT_DRIVER: 'fake' }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  let readyAt = Number.NaN
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    if (Number.isNaN(readyAt) && output.includes('Lifeboat is running at')) readyAt = performance.now()
  })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  try {
    let answeredAt = Number.NaN
    while (Number.isNaN(answeredAt)) {
      if (child.exitCode !== null) throw new Error(`lifeboat exited with ${child.exitCode}: ${output.slice(-500)}`)
      if (performance.now() - t0 > 30_000) throw new Error('lifeboat did not answer within 30 s')
      const ok = await fetch(`http://127.0.0.1:${port}/compute/v2.1`).then((r) => r.ok, () => false)
      if (ok) answeredAt = performance.now()
      else await sleep(5)
    }
    while (Number.isNaN(readyAt) && performance.now() - t0 < 30_000) await sleep(5)
    const startMs = answeredAt - t0
    goalLine('start → API answering (GET /compute/v2.1 200)', ms(startMs), '≤ 1 s', verdict(startMs, 1000))
    note(`start → "Lifeboat is running" printed (embedded agent registered): ${ms(readyAt - t0)}`)

    await sleep(2000) // settle: the agent's first lease long-poll, lazy loads
    const tree = processTree(child.pid!)
    const rss = tree.map((pid) => ({ pid, bytes: rssBytes(pid) }))
    const total = rss.reduce((sum, p) => sum + p.bytes, 0)
    goalLine(`RSS, ${tree.length} process(es)`, `${(total / MiB).toFixed(1)} MiB`, '≤ 100 MiB', verdict(total / MiB, 100))
    for (const p of rss) note(`  ${(p.bytes / MiB).toFixed(1).padStart(6)} MiB  ${commandOf(p.pid)}`)

    const cpu0 = tree.reduce((sum, pid) => sum + cpuNs(pid), 0)
    const w0 = performance.now()
    await sleep(idleSeconds * 1000)
    const cpu1 = processTree(child.pid!).reduce((sum, pid) => sum + cpuNs(pid), 0)
    const percent = ((cpu1 - cpu0) / 1e6 / (performance.now() - w0)) * 100
    goalLine(`idle CPU over ${idleSeconds} s (every thread)`, `${percent.toFixed(2)} %`, '≤ 0.3 % of a core', verdict(percent, 0.3))
  } finally {
    await stop(child)
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}
