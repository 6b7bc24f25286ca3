import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { DiskFormat, DriverLog } from '../virt-driver.js'
import { SILENT_DRIVER_LOG } from '../virt-driver.js'
import { QmpError, withQmp, type QmpClient } from './qmp-client.js'

/** Where the daemon listens and keeps its QMP socket and pid file. */
export interface StorageDaemonOptions {
  /** A folder of its own (QMP socket, pid file, log). */
  runDir: string
  /** The NBD server's listen address and TCP port. */
  listenHost: string
  listenPort: number
  binary?: string
  log?: DriverLog & { info?: (obj: object, msg: string) => void }
}

/** A file one export serves (the format layer is opened by the daemon; clients see raw data). */
export interface ExportedFile {
  path: string
  format: DiskFormat
}

/** The daemon's files under its run folder. */
export function storageDaemonPaths(runDir: string): { qmpSocket: string; pidFile: string; logFile: string } {
  return { qmpSocket: path.join(runDir, 'qmp.sock'), pidFile: path.join(runDir, 'qemu-storage-daemon.pid'), logFile: path.join(runDir, 'qemu-storage-daemon.log') }
}

/**
 * `qemu-storage-daemon`'s command line: a QMP monitor on a unix socket (the
 * exports are added over it) and one NBD server on TCP
 * (docs/tools/qemu-storage-daemon.rst of QEMU).
 */
export function storageDaemonArgs(options: Pick<StorageDaemonOptions, 'runDir' | 'listenHost' | 'listenPort'>): string[] {
  const paths = storageDaemonPaths(options.runDir)
  return [
    '--chardev', `socket,id=qmp0,path=${paths.qmpSocket.replaceAll(',', ',,')},server=on,wait=off`,
    '--monitor', 'chardev=qmp0',
    '--nbd-server', `addr.type=inet,addr.host=${options.listenHost},addr.port=${options.listenPort}`,
    '--pidfile', paths.pidFile,
  ]
}

/** Block node and export ids of an export (QEMU's ids are at most 31 characters). */
export function exportIds(name: string): { node: string; id: string } {
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 24)
  return { node: `n${digest}`, id: `e${digest}` }
}

/** The QMP commands that serve `file` as the writable NBD export `name`. */
export function exportCommands(name: string, file: ExportedFile): Array<{ command: string; args: Record<string, unknown> }> {
  const ids = exportIds(name)
  return [
    { command: 'blockdev-add', args: { 'node-name': ids.node, driver: file.format, discard: 'unmap', file: { driver: 'file', filename: file.path, discard: 'unmap' } } },
    { command: 'block-export-add', args: { type: 'nbd', id: ids.id, 'node-name': ids.node, name, writable: true } },
  ]
}

const RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 10_000]

/**
 * One supervised `qemu-storage-daemon` serving volume files over NBD. It
 * starts on the first export; exports are kept in memory and added again
 * when the daemon is restarted after dying. Operations run one at a time
 * (the daemon's monitor serves one client).
 */
export class StorageDaemon {
  readonly #options: StorageDaemonOptions
  readonly #log: NonNullable<StorageDaemonOptions['log']>
  readonly #exports = new Map<string, ExportedFile>()
  #child: ChildProcess | null = null
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false
  #restarts = 0

  constructor(options: StorageDaemonOptions) {
    this.#options = options
    this.#log = options.log ?? SILENT_DRIVER_LOG
  }

  /** The names exported now. */
  get names(): string[] {
    return [...this.#exports.keys()]
  }

  /** The daemon's pid while it runs. */
  get pid(): number | null {
    return this.#child?.pid ?? null
  }

  /** Serves `file` as export `name` (again: nothing changes). */
  async export(name: string, file: ExportedFile): Promise<void> {
    await this.#serial(async () => {
      if (this.#exports.has(name)) return
      await this.#ensureRunning()
      await this.#add(name, file)
      this.#exports.set(name, file)
    })
  }

  /** Stops serving export `name`; an unknown one is not an error. Clients still connected are cut. */
  async unexport(name: string): Promise<void> {
    await this.#serial(async () => {
      if (!this.#exports.delete(name)) return
      if (!this.#child) return
      const ids = exportIds(name)
      await withQmp(storageDaemonPaths(this.#options.runDir).qmpSocket, async (qmp) => {
        await qmp.execute('block-export-del', { id: ids.id, mode: 'hard' }).catch(ignoreMissing)
        await deleteNode(qmp, ids.node)
      })
    })
  }

  /** Stops the daemon (its exports go with it). */
  async close(): Promise<void> {
    this.#closed = true
    await this.#queue.catch(() => undefined)
    await this.#stop()
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work)
    this.#queue = next.catch(() => undefined)
    return next
  }

  async #add(name: string, file: ExportedFile): Promise<void> {
    const socket = storageDaemonPaths(this.#options.runDir).qmpSocket
    await withQmp(socket, async (qmp) => {
      for (const { command, args } of exportCommands(name, file)) await qmp.execute(command, args)
    })
  }

  async #ensureRunning(): Promise<void> {
    if (this.#child) return
    const paths = storageDaemonPaths(this.#options.runDir)
    fs.mkdirSync(this.#options.runDir, { recursive: true, mode: 0o700 })
    killStale(paths.pidFile)
    fs.rmSync(paths.qmpSocket, { force: true })
    const log = fs.openSync(paths.logFile, 'a')
    const child = spawn(this.#options.binary ?? 'qemu-storage-daemon', storageDaemonArgs(this.#options), { stdio: ['ignore', log, log] })
    fs.closeSync(log)
    this.#child = child
    child.once('exit', (code, signal) => {
      if (this.#child !== child) return
      this.#child = null
      if (this.#closed) return
      this.#log.warn({ code, signal, log: paths.logFile }, 'qemu-storage-daemon exited; restarting it with its exports')
      void this.#restart()
    })
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('error', reject)
      child.once('spawn', resolve)
    })
    await spawned
    await this.#waitForMonitor(paths.qmpSocket, child)
  }

  async #waitForMonitor(socket: string, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 10_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`qemu-storage-daemon exited at start (${storageDaemonPaths(this.#options.runDir).logFile})`)
      try {
        await withQmp(socket, async () => undefined, 1000)
        return
      } catch (error) {
        if (Date.now() > deadline) throw error
        await sleep(50)
      }
    }
  }

  async #restart(): Promise<void> {
    const delay = RESTART_DELAYS_MS[Math.min(this.#restarts++, RESTART_DELAYS_MS.length - 1)]!
    await sleep(delay)
    await this.#serial(async () => {
      if (this.#closed || this.#child) return
      try {
        await this.#ensureRunning()
        for (const [name, file] of this.#exports) await this.#add(name, file)
        this.#restarts = 0
        this.#log.info?.({ exports: this.#exports.size }, 'qemu-storage-daemon restarted')
      } catch (error) {
        this.#log.warn({ err: error }, 'qemu-storage-daemon could not be restarted; trying again')
        await this.#stop()
        if (!this.#closed) void this.#restart()
      }
    })
  }

  async #stop(): Promise<void> {
    const child = this.#child
    this.#child = null
    if (!child || child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])
    if (!killed) {
      child.kill('SIGKILL')
      await exited
    }
  }
}

function ignoreMissing(error: unknown): void {
  if (!(error instanceof QmpError)) throw error
}

// An export being deleted still holds its node for a moment (block-export-del is asynchronous).
async function deleteNode(qmp: QmpClient, node: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await qmp.execute('blockdev-del', { 'node-name': node })
      return
    } catch (error) {
      if (!(error instanceof QmpError)) throw error
      if (/not found|Cannot find/i.test(error.message) || attempt >= 50) return
      await sleep(20)
    }
  }
}

// A control plane killed -9 leaves its daemon running, holding the port and the volume files' locks.
function killStale(pidFile: string): void {
  let pid: number
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim())
  } catch {
    return
  }
  if (!Number.isInteger(pid) || pid <= 1) return
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (cmdline.includes('qemu-storage-daemon') && cmdline.includes(pidFile)) process.kill(pid, 'SIGKILL')
  } catch {
    // Gone already.
  }
  fs.rmSync(pidFile, { force: true })
}
