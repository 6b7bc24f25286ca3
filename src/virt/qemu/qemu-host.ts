import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { planDomainLayout } from '../disk-layout.js'
import {
  DriverError, PowerState, SILENT_DRIVER_LOG, type DiskFormat, type DiskSpec, type DomainLayout, type InstanceSpec, type MachineType, type DriverLog,
} from '../virt-driver.js'
import { buildConfigDrive } from './config-drive.js'
import { DomainStore, type DomainPaths, type DomainRecord } from './domain-store.js'
import { commitOverlay, createBlank, createOverlay, ImageCache } from './image-cache.js'
import { isNbdUrl } from '../../util/nbd-url.js'
import { assertNbdReachable } from './nbd-reach.js'
import { buildQemuArgs, layoutControllers } from './qemu-command-line.js'
import { dhcpHostname, type GuestEgress } from './qemu-network.js'
import { assertHostPortsFree, pluggedNics, syncForwards } from './qemu-forwards.js'
import { startQemuInNamespace } from './qemu-netns.js'
import { killQemu, QEMU_BINARY, readPid, runningPid, startQemu, waitForExit } from './qemu-process.js'
import { withQmp } from './qmp-client.js'
import { DriverErrorCode } from '../error-codes.js'

/** A file a device reads and its format. */
export interface DiskFile {
  path: string
  format: DiskFormat
}

const GIB = 1024 ** 3
// Nova presses the power button again every 10 s (SHUTDOWN_RETRY_INTERVAL); a guest may have missed the first press while booting.
const POWERDOWN_RETRY_MS = 5000

/** QEMU run states as Nova's power states. */
export function powerStateOfStatus(status: string): PowerState {
  switch (status) {
    case 'running': return PowerState.RUNNING
    case 'shutdown': return PowerState.SHUTDOWN
    case 'internal-error': case 'guest-panicked': case 'io-error': case 'watchdog': return PowerState.CRASHED
    default: return PowerState.PAUSED
  }
}

/**
 * What the QEMU driver's verbs share: the domain store, the base image
 * cache, and the mechanics of preparing disks, starting QEMU from a planned
 * layout, reading the real power state and shutting a guest down.
 */
export class QemuHost {
  readonly store: DomainStore
  readonly images: ImageCache
  readonly machineType: MachineType
  acceleration: 'tcg' | 'kvm' = 'tcg'
  /** Where the driver's swallowed clean-up failures go. */
  readonly log: DriverLog
  /** What guests may reach besides their forwards (see `GuestEgress`); the driver's start-up probe may fall back from `nat` to `isolated`. */
  egress: GuestEgress

  constructor(stateDir: string, machineType: MachineType, log: DriverLog = SILENT_DRIVER_LOG, egress: GuestEgress = 'isolated') {
    this.log = log
    this.egress = egress
    this.store = new DomainStore(stateDir)
    this.images = new ImageCache(`${stateDir}/base-images`)
    this.machineType = machineType
  }

  /** The file a disk of the spec reads in the normal layout. */
  diskFile(paths: DomainPaths, disk: DiskSpec): DiskFile {
    switch (disk.source.kind) {
      case 'image': case 'blank': return { path: paths.disk(disk.name), format: 'qcow2' }
      case 'volume': return { path: disk.source.path, format: disk.source.format }
      case 'config-drive': return { path: paths.configDrive, format: 'raw' }
    }
  }

  /** Creates the local disks that do not exist yet (image overlays, blank disks) and writes the config drive. */
  async prepareDisks(spec: InstanceSpec, paths: DomainPaths): Promise<void> {
    for (const disk of spec.disks) {
      const file = this.diskFile(paths, disk)
      if (disk.source.kind === 'image' && !fs.existsSync(file.path)) {
        const base = await this.images.base(disk.source.imageId, disk.source.imagePath, disk.source.format)
        await createOverlay(file.path, base, disk.source.format === 'qcow2' ? 'qcow2' : 'raw', disk.source.sizeGb * GIB)
      } else if (disk.source.kind === 'blank' && !fs.existsSync(file.path)) {
        await createBlank(file.path, disk.source.sizeGb)
      } else if (disk.source.kind === 'volume' && !isNbdUrl(file.path) && !fs.existsSync(file.path)) {
        throw new DriverError(`volume file ${file.path} of ${disk.name} does not exist`, { code: DriverErrorCode.VOLUME_MISSING })
      } else if (disk.source.kind === 'volume') {
        assertNbdReachable(file.path, this.egress, disk.name)
      }
    }
    if (spec.configDrive && spec.disks.some((d) => d.source.kind === 'config-drive')) await buildConfigDrive(spec.configDrive, paths.configDrive)
  }

  /** Files of the normal layout, by disk name, with `overrides` replacing some (rescue). */
  files(spec: InstanceSpec, paths: DomainPaths, overrides: Record<string, DiskFile> = {}): Record<string, DiskFile> {
    const files: Record<string, DiskFile> = {}
    for (const disk of spec.disks) files[disk.name] = overrides[disk.name] ?? this.diskFile(paths, disk)
    for (const [name, file] of Object.entries(overrides)) files[name] ??= file
    return files
  }

  /** The normal layout of a spec: the same plan the fake driver records, with file paths as sources. */
  normalLayout(spec: InstanceSpec, paths: DomainPaths): { layout: DomainLayout; files: Record<string, DiskFile> } {
    const files = this.files(spec, paths)
    return { layout: planDomainLayout(spec.disks, this.machineType, (disk) => files[disk.name]!.path), files }
  }

  /** A new record for a spec (not yet running). */
  newRecord(spec: InstanceSpec, layout: DomainLayout, files: Record<string, DiskFile>): DomainRecord {
    return { instanceId: spec.instanceId, spec, layout, formats: formatsOf(files), argv: [], controllers: {}, rescued: false, rescue: null, suspended: false }
  }

  /**
   * Starts QEMU with `layout` and the spec's NICs, their forwards included,
   * and saves what it runs with in the record. With `incoming` (resume), the
   * record's own command line is reused as is, because a saved state loads
   * only into the same device model; it holds no forwards (they may have
   * changed since), so the caller adds the spec's over QMP (`syncForwards`).
   * A guest in its own network namespace (`nat`) starts without forwards too:
   * they need slirp4netns, which comes up after QEMU, so they follow here.
   */
  async start(record: DomainRecord, layout: DomainLayout, formats: Record<string, DiskFormat>, incoming?: string): Promise<void> {
    const paths = this.store.prepare(record.instanceId)
    const egress = this.egress
    // A record that never ran (a live migration's destination) has no command line yet: it is built below, with `-incoming`.
    if (incoming && record.argv.length > 0) {
      await this.#launch([...record.argv, '-S', '-incoming', incoming], paths)
      this.store.save({ ...record, egress, nics: (record.nics ?? []).map((nic) => ({ ...nic, forwards: [] })) })
      return
    }
    const spec = record.spec
    const nics = spec.nics ?? []
    const args = (withForwards: boolean) => buildQemuArgs({
      name: spec.name, instanceId: spec.instanceId, machineType: this.machineType, acceleration: this.acceleration,
      vcpus: spec.vcpus, memoryMb: spec.memoryMb, pidFile: paths.pidFile, qmpSocket: paths.qmpSocket, consoleLog: paths.consoleLog,
      consoleSocket: paths.consoleSocket, vncSocket: paths.vncSocket, layout, formats,
      // A rescue booted for a run has the channel file (made by rescueDomain, removed with the rescue files).
      ...(record.rescued && fs.existsSync(paths.runChannel) ? { runChannel: paths.runChannel } : {}), network: { nics, hostname: dhcpHostname(spec), egress, withForwards },
    })
    const launchArgs = (withForwards: boolean) => (incoming ? [...args(withForwards), '-S', '-incoming', incoming] : args(withForwards))
    const controllers = Object.fromEntries(layoutControllers(layout).map((c) => [String(c.props.id), String(c.props.addr)]))
    await trimConsoleLog(paths.consoleLog)
    await assertHostPortsFree(nics.flatMap((nic) => nic.forwards))
    const inNamespace = egress === 'nat'
    await this.#launch(launchArgs(!inNamespace), paths)
    Object.assign(record, { layout, formats, argv: args(false), controllers, egress, nics: pluggedNics(nics, !inNamespace) })
    this.store.save(record)
    // The guest runs: a forward that fails now (its port taken since the check) is logged, and the next network change retries it.
    if (inNamespace) await syncForwards(this, spec).catch((error: unknown) => this.log.warn({ err: error, server: spec.instanceId }, 'a guest\'s forwards could not all be applied at its start'))
  }

  /** Starts the daemonizing QEMU on the host's network or, for `nat`, in a network namespace of its own. */
  async #launch(args: string[], paths: DomainPaths): Promise<void> {
    if (this.egress !== 'nat') {
      await startQemu(args, paths)
      return
    }
    fs.rmSync(paths.pidFile, { force: true })
    fs.rmSync(paths.qmpSocket, { force: true })
    await startQemuInNamespace(QEMU_BINARY, args, paths, () => readPid(paths.pidFile))
  }

  /**
   * Boots the spec's normal layout, creating missing local disks (the process
   * must not be running). A rescue left behind (a host that rebooted while
   * rescued) is wound up first, keeping its changes, as a plain unrescue does.
   */
  async bootNormal(spec: InstanceSpec): Promise<void> {
    const paths = this.store.prepare(spec.instanceId)
    const previous = this.store.load(spec.instanceId)
    const overlay = previous?.rescue?.rootOverlay
    if (overlay && fs.existsSync(overlay.path)) {
      await commitOverlay(overlay.path)
      fs.rmSync(overlay.path, { force: true })
    }
    for (const file of [paths.rescueDisk, paths.rescueConfigDrive, `${paths.rescueConfigDrive}.sha256`]) fs.rmSync(file, { force: true })
    await this.prepareDisks(spec, paths)
    const { layout, files } = this.normalLayout(spec, paths)
    const record: DomainRecord = previous ? { ...previous, spec, rescued: false, rescue: null, suspended: false } : this.newRecord(spec, layout, files)
    await this.start(record, layout, formatsOf(files))
  }

  /** The real power state: process and QMP `query-status` for a live QEMU, the record otherwise. */
  async powerState(record: DomainRecord): Promise<PowerState> {
    const paths = this.store.paths(record.instanceId)
    if (runningPid(paths) === null) return record.suspended ? PowerState.SUSPENDED : PowerState.SHUTDOWN
    try {
      const status = await withQmp(paths.qmpSocket, (qmp) => qmp.execute<{ status: string }>('query-status'), 2000)
      return powerStateOfStatus(status.status)
    } catch {
      // QEMU serves one QMP client at a time; a busy monitor means an operation is under way on a live guest.
      return PowerState.RUNNING
    }
  }

  /** The QMP `query-status` of a live QEMU, or null when it is not running. */
  async status(paths: DomainPaths): Promise<string | null> {
    if (runningPid(paths) === null) return null
    return (await withQmp(paths.qmpSocket, (qmp) => qmp.execute<{ status: string }>('query-status'))).status
  }

  /**
   * Clean shutdown: the ACPI power button (pressed again every few seconds),
   * waiting up to `timeoutSeconds` for QEMU to exit, then a hard stop. A
   * guest that is not running (paused) cannot react, so it is stopped hard
   * at once, as Nova does. Resolves with how it ended.
   */
  async shutdown(paths: DomainPaths, timeoutSeconds: number): Promise<'clean' | 'forced' | 'not-running'> {
    const pid = runningPid(paths)
    if (pid === null) return 'not-running'
    if (timeoutSeconds > 0) {
      const pressed = await withQmp(paths.qmpSocket, async (qmp) => {
        const { status } = await qmp.execute<{ status: string }>('query-status')
        if (status !== 'running') return false
        await qmp.execute('system_powerdown')
        return true
      }).catch(() => false)
      if (pressed) {
        const deadline = Date.now() + timeoutSeconds * 1000
        while (Date.now() < deadline) {
          if (await waitForExit(pid, paths.qmpSocket, Math.min(POWERDOWN_RETRY_MS, deadline - Date.now()))) return 'clean'
          await withQmp(paths.qmpSocket, (qmp) => qmp.execute('system_powerdown')).catch(() => undefined)
        }
      }
    }
    await this.hardStop(paths)
    return 'forced'
  }

  /** Stops QEMU at once: QMP `quit`, then signals if it does not go. */
  async hardStop(paths: DomainPaths): Promise<void> {
    const pid = runningPid(paths)
    if (pid === null) return
    await withQmp(paths.qmpSocket, (qmp) => qmp.execute('quit'), 2000).catch(() => undefined)
    if (!(await waitForExit(pid, paths.qmpSocket, 3000))) await killQemu(pid, paths.qmpSocket)
    fs.rmSync(paths.pidFile, { force: true })
  }

  /** Waits until QMP answers after a start (the socket appears just after QEMU daemonizes). */
  async waitForMonitor(paths: DomainPaths, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        await withQmp(paths.qmpSocket, async () => undefined, 1000)
        return
      } catch (error) {
        if (Date.now() >= deadline) throw error
        await sleep(50)
      }
    }
  }

  /** The record of a domain, or a DriverError when the driver has none. */
  record(instanceId: string): DomainRecord {
    const record = this.store.load(instanceId)
    if (!record) throw new DriverError(`no domain ${instanceId}`, { code: DriverErrorCode.DOMAIN_NOT_FOUND })
    return record
  }
}

const CONSOLE_LOG_LIMIT = 8 * 1024 * 1024
const CONSOLE_LOG_KEEP = 1024 * 1024

/** The console log is appended across boots; before a boot, a log past 8 MiB keeps only its last MiB. */
async function trimConsoleLog(file: string): Promise<void> {
  const size = await fs.promises.stat(file).then((s) => s.size, () => 0)
  if (size <= CONSOLE_LOG_LIMIT) return
  const handle = await fs.promises.open(file, 'r')
  const tail = Buffer.alloc(CONSOLE_LOG_KEEP)
  try {
    await handle.read(tail, 0, CONSOLE_LOG_KEEP, size - CONSOLE_LOG_KEEP)
  } finally {
    await handle.close()
  }
  await fs.promises.writeFile(file, tail)
}

/** The format of each file, by disk name. */
export function formatsOf(files: Record<string, DiskFile>): Record<string, DiskFormat> {
  return Object.fromEntries(Object.entries(files).map(([name, file]) => [name, file.format]))
}
