import fs from 'node:fs'
import path from 'node:path'
import { now } from './stats.js'

/** When each step of one rescue or unrescue happened (performance.now). */
export interface PhaseMarks {
  shutdownStart: number
  shutdownEnd: number
  startBegin: number
  startEnd: number
  firstLine: number
  firstLineText: string
  bootedMarker: number
}

interface Pending {
  role: string
  marks: Partial<PhaseMarks> & { firstLineText?: string }
  resolve: () => void
  reject: (error: Error) => void
}

type AnyFn = (...args: any[]) => Promise<any>

/**
 * Times the QEMU driver's steps from inside this process: wraps
 * `QemuHost.prototype.shutdown` and `.start` (the driver runs in the embedded
 * agent, so the wrappers see every call) and follows the domain's console log
 * file after each start. Nothing in the driver changes but the timing hooks.
 */
export class QemuTimeline {
  readonly #pending = new Map<string, Pending>()
  readonly #restore: Array<() => void> = []

  /** Installs the hooks; throws when the driver's shape is not the one expected. */
  static async install(): Promise<QemuTimeline> {
    const { QemuHost } = await import('../../src/virt/qemu/qemu-host.js')
    const proto = QemuHost.prototype as unknown as Record<string, AnyFn>
    if (typeof proto.shutdown !== 'function' || typeof proto.start !== 'function') {
      throw new Error('QemuHost has no shutdown/start methods to time; the bench needs updating')
    }
    const timeline = new QemuTimeline()
    timeline.#wrap(proto, 'shutdown', (self, args, run) => timeline.#onShutdown(args[0] as { dir: string }, run))
    timeline.#wrap(proto, 'start', (self, args, run) => timeline.#onStart(self, args[0] as { instanceId: string }, run))
    return timeline
  }

  #wrap(proto: Record<string, AnyFn>, name: string, hook: (self: unknown, args: unknown[], run: () => Promise<unknown>) => Promise<unknown>): void {
    const original = proto[name]!
    proto[name] = function (this: unknown, ...args: unknown[]) {
      return hook(this, args, () => original.apply(this, args))
    }
    this.#restore.push(() => {
      proto[name] = original
    })
  }

  /** Removes the hooks. */
  uninstall(): void {
    for (const restore of this.#restore.splice(0)) restore()
  }

  /**
   * Starts recording the next shutdown + start of `instanceId`; `done`
   * resolves once the booted image (`role`) printed its marker line.
   */
  expect(instanceId: string, role: string): { marks: PhaseMarks; done: Promise<void> } {
    const marks = {} as PhaseMarks
    const done = new Promise<void>((resolve, reject) => this.#pending.set(instanceId, { role, marks, resolve, reject }))
    return { marks, done }
  }

  async #onShutdown(paths: { dir: string }, run: () => Promise<unknown>): Promise<unknown> {
    const pending = this.#pending.get(path.basename(paths.dir))
    const begin = now()
    const result = await run()
    // The agent's rescue calls shutdown twice (power off, then inside rescue); the one that stopped a guest counts.
    if (pending && result !== 'not-running' && pending.marks.shutdownStart === undefined) {
      pending.marks.shutdownStart = begin
      pending.marks.shutdownEnd = now()
    }
    return result
  }

  async #onStart(self: unknown, record: { instanceId: string }, run: () => Promise<unknown>): Promise<unknown> {
    const pending = this.#pending.get(record.instanceId)
    if (!pending) return run()
    const store = (self as { store: { paths(id: string): { consoleLog: string } } }).store
    const consoleLog = store.paths(record.instanceId).consoleLog
    const sizeBefore = fs.existsSync(consoleLog) ? fs.statSync(consoleLog).size : 0
    pending.marks.startBegin = now()
    const result = await run()
    pending.marks.startEnd = now()
    const sizeAfter = fs.existsSync(consoleLog) ? fs.statSync(consoleLog).size : 0
    // QEMU's `-serial file:` truncates on open; with append the new boot starts at the old end.
    void this.#follow(record.instanceId, pending, consoleLog, sizeAfter >= sizeBefore && sizeBefore > 0 ? sizeBefore : 0)
    return result
  }

  async #follow(instanceId: string, pending: Pending, file: string, offset: number): Promise<void> {
    const deadline = now() + 180_000
    const marker = new RegExp(`LB-MARKER-DONE role=${pending.role}`)
    let text = ''
    while (now() < deadline) {
      const size = fs.existsSync(file) ? fs.statSync(file).size : 0
      if (size > offset + text.length) {
        const fd = fs.openSync(file, 'r')
        try {
          const buffer = Buffer.alloc(size - offset - text.length)
          fs.readSync(fd, buffer, 0, buffer.length, offset + text.length)
          text += buffer.toString('latin1')
        } finally {
          fs.closeSync(fd)
        }
        const t = now()
        const complete = text.split(/\r?\n/).slice(0, -1).filter((l) => l.trim() !== '')
        if (pending.marks.firstLine === undefined && complete.length > 0) {
          pending.marks.firstLine = t
          pending.marks.firstLineText = complete[0]!
        }
        if (pending.marks.bootedMarker === undefined && text.includes(`LB-MARKER-BOOTED role=${pending.role}`)) pending.marks.bootedMarker = t
        if (marker.test(text)) {
          this.#pending.delete(instanceId)
          pending.resolve()
          return
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    this.#pending.delete(instanceId)
    pending.reject(new Error(`console of ${instanceId} never showed ${marker}; it shows:\n${text.slice(-2000)}`))
  }
}
