import type { Duplex } from 'node:stream'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  DriverError, SILENT_DRIVER_LOG, type DiskFormat, type DiskSpec, type DomainInfo, type DriverCapabilities, type HostInfo,
  type InstanceSpec, type MachineType, type RescueRunOutcome, type RescueRunSpec, type RescueSpec, type VirtDriver, type DriverLog, type IncomingMigration, type LiveMigrationStats, type OutgoingMigration,
} from '../virt-driver.js'
import { chooseAcceleration, type AccelerationChoice } from './accel-probe.js'
import { convertImage } from './image-cache.js'
import { formatsOf, QemuHost } from './qemu-host.js'
import { qemuVersion, runningPid } from './qemu-process.js'
import { withQmp } from './qmp-client.js'
import { rescueDomain, StepTimer, unrescueDomain } from './qemu-rescue.js'
import { confirmResizeDomain, resizeDomain, revertResizeDomain } from './qemu-resize.js'
import { resumeDomain, suspendDomain } from './qemu-suspend.js'
import { attachDisk, detachDisk } from './qemu-volumes.js'
import { syncForwards } from './qemu-forwards.js'
import { openQemuConsole } from './qemu-console.js'
import { awaitQemuRun } from './qemu-run.js'
import { plugNic, unplugNic } from './qemu-nics.js'
import { readFileSlice } from './file-slice.js'
import type { GuestEgress } from './qemu-network.js'
import { probeNamespaces } from './qemu-netns.js'
import { DriverErrorCode } from '../error-codes.js'
import { abortIncoming, finishIncoming, migrateOut, prepareIncoming } from './qemu-live-migration.js'
import { exportCold, importCold, releaseCold } from './qemu-cold-migration.js'

/** How a QEMU host is set up. */
export interface QemuDriverOptions {
  /** The agent's state folder for QEMU: domains, base images, probe cache. */
  stateDir: string
  machineType: MachineType
  /** Default clean-shutdown wait when a call gives none. */
  shutdownTimeoutSeconds?: number
  /** Where swallowed clean-up failures are logged (none by default). */
  log?: DriverLog
  /** What guests may reach besides their port forwards: `nat`, `isolated` (the default here; the service's is `nat`) or `open` (see `GuestEgress`). */
  guestEgress?: GuestEgress
}

const CONSOLE_TAIL_BYTES = 1024 * 1024

/** Rescue buses per machine type: q35 has no IDE controller (its `ide` is the ICH9 AHCI, i.e. sata). */
export function qemuCapabilities(machineType: MachineType): DriverCapabilities {
  return {
    supportsBfvRescue: true,
    rescueBuses: machineType === 'q35' ? ['virtio', 'scsi', 'sata', 'usb'] : ['virtio', 'scsi', 'ide', 'sata', 'usb'],
    // No floppy: no rescue kernel fits on one, and floppy drives take no bootindex.
    rescueDevices: ['disk', 'cdrom'],
    supportsVolumeAttach: true,
    supportsVolumeExtend: false,
    imageFormats: ['qcow2', 'raw'],
  }
}

/**
 * Runs each instance as a daemonized `qemu-system-x86_64` on this host,
 * controlled over a per-domain QMP socket. QEMU processes outlive the agent;
 * a new driver on the same state folder finds them again through their
 * pidfiles and records. Every command line comes from the same pure layout
 * plans as the fake driver's, so addresses are identical between drivers.
 */
export class QemuDriver implements VirtDriver {
  readonly name = 'qemu'
  readonly capabilities: DriverCapabilities
  readonly #options: Required<QemuDriverOptions>
  readonly #host: QemuHost
  #acceleration: AccelerationChoice = { acceleration: 'tcg', reason: 'TCG (not probed yet)' }
  #version = { text: '', number: 0 }
  readonly #timings = new Map<string, { operation: string; steps: Record<string, number> }>()

  constructor(options: QemuDriverOptions) {
    this.#options = Object.freeze({ shutdownTimeoutSeconds: 60, log: SILENT_DRIVER_LOG, guestEgress: 'isolated' as const, ...options, stateDir: path.resolve(options.stateDir) })
    this.#host = new QemuHost(this.#options.stateDir, options.machineType, this.#options.log, this.#options.guestEgress)
    this.capabilities = qemuCapabilities(options.machineType)
  }

  /** Why this acceleration was chosen (for the agent's start-up log). */
  get accelerationReason(): string {
    return this.#acceleration.reason
  }

  /** What guests started now may reach (`nat` falls back to `isolated` at `init` when the host cannot run it). */
  get guestEgress(): GuestEgress {
    return this.#host.egress
  }

  async init(): Promise<void> {
    fs.mkdirSync(this.#options.stateDir, { recursive: true })
    if (this.#host.egress === 'nat') {
      const missing = await probeNamespaces(path.join(this.#options.stateDir, 'netns-probe'))
      if (missing) {
        // Never open instead: that would hand guests the host's loopback services.
        this.#options.log.warn({ guestEgress: 'isolated' }, `guest egress nat is not available here (${missing}); guests start isolated: no way out but their forwards`)
        this.#host.egress = 'isolated'
      }
    }
    this.#version = await qemuVersion().catch((error: unknown) => {
      throw new DriverError('qemu-system-x86_64 is not usable (apt-get install qemu-system-x86 qemu-utils)', { cause: error, code: DriverErrorCode.QEMU_MISSING })
    })
    this.#acceleration = await chooseAcceleration({
      cacheFile: path.join(this.#options.stateDir, 'acceleration.json'), tryKvm: process.env.LIFEBOAT_QEMU_TRY_KVM === '1', qemuVersion: this.#version.text,
    })
    this.#host.acceleration = this.#acceleration.acceleration
  }

  async hostInfo(): Promise<HostInfo> {
    const cpus = os.cpus()
    const disk = await fs.promises.statfs(this.#options.stateDir).catch(() => null)
    return {
      hypervisorType: 'QEMU',
      hypervisorVersion: this.#version.number,
      acceleration: this.#acceleration.acceleration,
      vcpus: cpus.length,
      memoryMb: Math.floor(os.totalmem() / 1024 / 1024),
      diskGb: disk ? Math.floor((disk.blocks * disk.bsize) / 1024 ** 3) : 0,
      cpuInfo: {
        arch: os.arch() === 'x64' ? 'x86_64' : os.arch(), model: cpus[0]?.model ?? 'unknown', vendor: cpuVendor(),
        topology: { sockets: 1, cores: cpus.length, threads: 1 }, features: [], machineType: this.#options.machineType,
        qemuVersion: this.#version.text, accelerationReason: this.#acceleration.reason,
      },
    }
  }

  async listDomains(): Promise<DomainInfo[]> {
    return Promise.all(this.#host.store.list().map(async (record) => ({
      instanceId: record.instanceId, powerState: await this.#host.powerState(record), rescued: record.rescued, layout: structuredClone(record.layout),
    })))
  }

  async getDomain(instanceId: string): Promise<DomainInfo | null> {
    const record = this.#host.store.load(instanceId)
    if (!record) return null
    return { instanceId, powerState: await this.#host.powerState(record), rescued: record.rescued, layout: structuredClone(record.layout) }
  }

  async spawn(spec: InstanceSpec): Promise<void> {
    const paths = this.#host.store.prepare(spec.instanceId)
    if (runningPid(paths) !== null) return
    await this.#host.prepareDisks(spec, paths)
    const { layout, files } = this.#host.normalLayout(spec, paths)
    const record = this.#host.newRecord(spec, layout, files)
    this.#host.store.save(record)
    await this.#host.start(record, layout, formatsOf(files))
  }

  async destroy(instanceId: string, options: { keepDisks?: readonly string[] } = {}): Promise<void> {
    const paths = this.#host.store.paths(instanceId)
    await this.#host.hardStop(paths)
    // Kept disks stay as files in the domain's folder; `spawn` creates only the disks that are missing.
    this.#host.store.remove(instanceId, (options.keepDisks ?? []).map((name) => paths.disk(name)))
  }

  async powerOff(instanceId: string, options: { timeoutSeconds: number }): Promise<void> {
    const record = this.#host.record(instanceId)
    await this.#host.shutdown(this.#host.store.paths(instanceId), options.timeoutSeconds)
    if (record.suspended) this.#forgetSavedState(record)
  }

  async powerOn(spec: InstanceSpec): Promise<void> {
    const paths = this.#host.store.prepare(spec.instanceId)
    if (runningPid(paths) !== null) return
    const record = this.#host.store.load(spec.instanceId)
    if (record?.suspended) this.#forgetSavedState(record)
    await this.#host.bootNormal(spec)
  }

  /**
   * SOFT: the ACPI power button, wait up to the timeout, then boot again
   * (falls back to HARD for a guest that does not go down). HARD: the process
   * is stopped and started again, picking up disk changes, like Nova's
   * destroy-and-recreate.
   */
  async reboot(spec: InstanceSpec, kind: 'SOFT' | 'HARD', options: { timeoutSeconds: number }): Promise<void> {
    const paths = this.#host.store.paths(spec.instanceId)
    if (kind === 'SOFT') await this.#host.shutdown(paths, options.timeoutSeconds || this.#options.shutdownTimeoutSeconds)
    else await this.#host.hardStop(paths)
    const record = this.#host.store.load(spec.instanceId)
    if (record?.suspended) this.#forgetSavedState(record)
    await this.#host.bootNormal(spec)
  }

  async pause(instanceId: string): Promise<void> {
    await this.#qmp(instanceId, 'stop')
  }

  async unpause(instanceId: string): Promise<void> {
    await this.#qmp(instanceId, 'cont')
  }

  async triggerCrashDump(instanceId: string): Promise<void> {
    await this.#qmp(instanceId, 'inject-nmi')
  }

  async #qmp(instanceId: string, command: string): Promise<void> {
    this.#host.record(instanceId)
    const paths = this.#host.store.paths(instanceId)
    if (runningPid(paths) === null) throw new DriverError(`domain ${instanceId} is not running`, { code: DriverErrorCode.DOMAIN_NOT_RUNNING })
    await withQmp(paths.qmpSocket, (qmp) => qmp.execute(command))
  }

  suspend(instanceId: string): Promise<void> {
    return suspendDomain(this.#host, instanceId)
  }

  async resume(spec: InstanceSpec): Promise<void> {
    await resumeDomain(this.#host, spec, () => this.#host.bootNormal(spec))
    // A restored process starts without forwards (they may have changed while it was saved): the spec's go on now.
    await syncForwards(this.#host, spec)
  }

  /** A new connection to the guest's serial (`console.sock`) or VNC (`vnc.sock`) unix socket. */
  openConsole(instanceId: string, console: 'serial' | 'vnc'): Promise<Duplex> {
    return openQemuConsole(this.#host, instanceId, console)
  }

  async applyForwards(spec: InstanceSpec): Promise<void> {
    this.#host.record(spec.instanceId)
    await syncForwards(this.#host, spec)
  }

  async getConsoleOutput(instanceId: string, maxLines?: number): Promise<string> {
    this.#host.record(instanceId)
    const file = this.#host.store.paths(instanceId).consoleLog
    const text = (await readFileSlice(file, CONSOLE_TAIL_BYTES, 'end')).toString('utf8')
    const lines = text.replace(/\r\n?/g, '\n').split('\n')
    if (lines.at(-1) === '') lines.pop()
    return (maxLines === undefined ? lines : lines.slice(-Math.max(0, maxLines))).join('\n')
  }

  /**
   * Flattens the root disk into `target`. A running guest is paused for the
   * copy (QEMU flushes its caches when it stops) and continued afterwards.
   */
  async snapshot(instanceId: string, target: { path: string; format: DiskFormat }): Promise<void> {
    const record = this.#host.record(instanceId)
    const paths = this.#host.store.paths(instanceId)
    const root = record.spec.disks.find((d) => d.role === 'root')
    if (!root) throw new DriverError(`domain ${instanceId} has no root disk`, { code: DriverErrorCode.NO_ROOT })
    const file = this.#host.diskFile(paths, root)
    const status = await this.#host.status(paths)
    if (status === 'running') await withQmp(paths.qmpSocket, (qmp) => qmp.execute('stop'))
    try {
      fs.mkdirSync(path.dirname(target.path), { recursive: true })
      await convertImage(file.path, file.format, target.path, target.format, status !== null)
    } finally {
      if (status === 'running') await withQmp(paths.qmpSocket, (qmp) => qmp.execute('cont'))
    }
  }

  attachVolume(spec: InstanceSpec, disk: DiskSpec): Promise<void> {
    return attachDisk(this.#host, spec, disk)
  }

  detachVolume(spec: InstanceSpec, diskName: string): Promise<void> {
    return detachDisk(this.#host, spec, diskName)
  }

  attachInterface(spec: InstanceSpec, portId: string): Promise<void> {
    return plugNic(this.#host, spec, portId)
  }

  detachInterface(spec: InstanceSpec, portId: string): Promise<void> {
    return unplugNic(this.#host, spec, portId)
  }

  async resize(spec: InstanceSpec, options: { timeoutSeconds: number; powerOn: boolean }): Promise<void> {
    await resizeDomain(this.#host, spec, options)
  }

  async confirmResize(instanceId: string): Promise<void> {
    confirmResizeDomain(this.#host, instanceId)
  }

  async revertResize(spec: InstanceSpec, options: { timeoutSeconds: number; powerOn: boolean }): Promise<void> {
    await revertResizeDomain(this.#host, spec, options)
  }

  /** Live migration, destination: start the domain paused for the incoming RAM and serve its new local disks over NBD (see `qemu-live-migration.ts`). */
  prepareIncomingMigration(spec: InstanceSpec, listenHost: string, rescue?: RescueSpec): Promise<IncomingMigration> {
    return prepareIncoming(this.#host, spec, listenHost, rescue)
  }

  /** Live migration, source: mirror the local disks and send the RAM to `target`, then quit here. */
  migrateLive(spec: InstanceSpec, target: IncomingMigration, options: { forceComplete?: () => boolean } = {}): Promise<LiveMigrationStats> {
    return migrateOut(this.#host, spec, target, options)
  }

  /** Live migration, destination: the RAM is in; continue the guest here (or keep it paused). */
  finishIncomingMigration(instanceId: string, options: { paused: boolean }): Promise<void> {
    return finishIncoming(this.#host, instanceId, options)
  }

  /** Live migration, destination: abort, removing the domain started for it and its new disks. */
  abortIncomingMigration(instanceId: string): Promise<void> {
    return abortIncoming(this.#host, instanceId)
  }

  /** Cold migration, source: shut down and serve the disks read-only over NBD (see `qemu-cold-migration.ts`). */
  exportForMigration(spec: InstanceSpec, listenHost: string, options: { timeoutSeconds: number }): Promise<OutgoingMigration> {
    return exportCold(this.#host, spec, listenHost, options.timeoutSeconds || this.#options.shutdownTimeoutSeconds)
  }

  /** Cold migration, destination: copy the served disks and define (and boot) the domain here. */
  importMigration(spec: InstanceSpec, source: OutgoingMigration, options: { powerOn: boolean }): Promise<void> {
    return importCold(this.#host, spec, source, options)
  }

  /** Cold migration, either host: stop serving; drop this copy or boot it again. */
  releaseMigration(spec: InstanceSpec, options: { drop: boolean; powerOn: boolean }): Promise<void> {
    return releaseCold(this.#host, spec, options)
  }

  async rescue(spec: RescueSpec, options: { timeoutSeconds: number; onShutDown?: () => void }): Promise<void> {
    const timer = new StepTimer()
    await rescueDomain(this.#host, spec, { timeoutSeconds: options.timeoutSeconds, onShutDown: options.onShutDown }, timer)
    this.#timings.set(spec.instance.instanceId, { operation: 'rescue', steps: timer.steps })
  }

  /** Waits for the run's frame on the guest's ttyS1 (its channel file). */
  awaitRescueRun(instanceId: string, run: RescueRunSpec, deadline: number): Promise<RescueRunOutcome | null> {
    return awaitQemuRun(this.#host.store.paths(instanceId).runChannel, run, deadline)
  }

  async unrescue(spec: InstanceSpec, options: { discardChanges: boolean; timeoutSeconds: number }): Promise<void> {
    const timer = new StepTimer()
    await unrescueDomain(this.#host, spec, options, timer)
    this.#timings.set(spec.instanceId, { operation: 'unrescue', steps: timer.steps })
  }

  /**
   * How long the steps of the last rescue or unrescue of an instance took
   * (ms): `shutdown` (clean shutdown of the guest), `prepare` (disks, config
   * drive), `start` (QEMU up and daemonized). For the bench and logs.
   */
  lastTimings(instanceId: string): { operation: string; steps: Record<string, number> } | null {
    return this.#timings.get(instanceId) ?? null
  }

  #forgetSavedState(record: { instanceId: string; suspended: boolean }): void {
    fs.rmSync(this.#host.store.paths(record.instanceId).state, { force: true })
    const saved = this.#host.store.load(record.instanceId)
    if (saved) this.#host.store.save({ ...saved, suspended: false })
  }
}

function cpuVendor(): string {
  try {
    return /vendor_id\s*:\s*(\S+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

