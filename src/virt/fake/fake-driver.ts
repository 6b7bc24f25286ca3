import type { Duplex } from 'node:stream'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  DriverError, PowerState, type DiskSpec, type DomainInfo, type DomainLayout, type DriverCapabilities, type HostInfo,
  type InstanceSpec, type MachineType, type NicSpec, type PortForward, type RescueRunOutcome, type RescueRunSpec, type RescueSpec, type VirtDriver, type IncomingMigration, type LiveMigrationStats, type OutgoingMigration,
} from '../virt-driver.js'
import { planDomainLayout } from '../disk-layout.js'
import { planRescueLayout } from '../rescue-layout.js'
import { DriverErrorCode } from '../error-codes.js'
import { appliedForwards, forwardsOf } from './fake-network.js'
import { FakeRfbServer } from './fake-rfb.js'
import { FakeSerialPort } from './fake-serial.js'
import { simulateRescueRun } from './fake-run.js'

/** How the fake hypervisor is set up. */
export interface FakeDriverOptions {
  /** Where domains are kept so they survive an agent restart: the folder of this name less `.json`, a file per domain; null keeps them in memory only. */
  stateFile: string | null
  /** Milliseconds each operation takes (0: instant, but still asynchronous). */
  delayMs: number
  supportsBfvRescue: boolean
  machineType: MachineType
  vcpus: number
  memoryMb: number
  diskGb: number
  /** Operations that fail on purpose (for tests of failure handling), e.g. `rescue`. */
  failOperations?: string[]
  /** Operations that wait for a test's go-ahead before they run (a fault test holds a step where it breaks something), by operation name. */
  gates?: Record<string, () => Promise<void>>
}

interface FakeDomain {
  instanceId: string
  powerState: PowerState
  rescued: boolean
  spec: InstanceSpec
  layout: DomainLayout
  console: string[]
  rootSnapshot: boolean
  /** Key names on the config drive the domain booted with last (the rescue key while rescued). */
  configDriveKeys: string[]
  /** The NICs the domain booted with last (absent in files of older versions). */
  nics?: NicSpec[]
  /** The port forwards applied now, by port id: those of the last boot, then of each `applyForwards`. */
  forwards?: Record<string, PortForward[]>
  /** The spec before an unconfirmed resize (what a revert boots again). */
  resizedFrom?: InstanceSpec | null
  /** Local disks carried over from the domain's previous life (`destroy` with `keepDisks`, then `spawn`). */
  keptDisks?: string[]
}


function keyNames(drive: { metaData: Record<string, unknown> } | null): string[] {
  const keys = drive?.metaData.public_keys
  return keys && typeof keys === 'object' ? Object.keys(keys).sort() : []
}

function describeSource(disk: DiskSpec): string {
  switch (disk.source.kind) {
    case 'image': return `image:${disk.source.imageId}`
    case 'volume': return `volume:${disk.source.volumeId}`
    case 'blank': return `blank:${disk.source.sizeGb}G`
    case 'config-drive': return 'config-drive'
  }
}

/** A fake domain's console keeps only its last lines, as a real console log is trimmed. */
const CONSOLE_LINES = 200

/** The folder the fake keeps its domains in (one `<instance id>.json` each), beside `stateFile`. */
export function fakeDomainsDir(stateFile: string): string {
  return stateFile.replace(/\.json$/, '')
}

/**
 * A hypervisor that does nothing, asynchronously, and remembers exactly what
 * it was asked: each domain's disk layout (bus, address, boot order, source)
 * for tests to assert. A real VirtDriver, no monkeypatching (like undici's
 * MockAgent).
 */
export class FakeDriver implements VirtDriver {
  readonly name = 'fake'
  readonly capabilities: DriverCapabilities
  readonly #options: FakeDriverOptions
  readonly #domains = new Map<string, FakeDomain>()
  /** Serial lines of the domains, in memory only (a restarted agent's streams are gone anyway). */
  readonly #serial = new Map<string, FakeSerialPort>()
  /** Disks a `destroy` kept, by instance, for its next `spawn`. */
  readonly #kept = new Map<string, string[]>()
  #stateDirMade = false
  #saves = 0

  constructor(options: FakeDriverOptions) {
    this.#options = Object.freeze({ ...options })
    this.capabilities = {
      supportsBfvRescue: options.supportsBfvRescue,
      rescueBuses: options.machineType === 'q35' ? ['virtio', 'scsi', 'sata', 'usb'] : ['virtio', 'scsi', 'ide', 'sata', 'usb'],
      rescueDevices: ['disk', 'cdrom'],
      supportsVolumeAttach: true,
      supportsVolumeExtend: true,
      imageFormats: ['qcow2', 'raw'],
    }
  }

  async init(): Promise<void> {
    const dir = this.#stateDir()
    if (!dir) return
    const legacy = this.#options.stateFile!
    if (fs.existsSync(legacy)) {
      // The single file of older versions: adopt its domains into the per-domain layout.
      for (const domain of JSON.parse(fs.readFileSync(legacy, 'utf8')) as FakeDomain[]) {
        this.#domains.set(domain.instanceId, domain)
        await this.#save(domain.instanceId)
      }
      fs.rmSync(legacy, { force: true })
    }
    if (!fs.existsSync(dir)) return
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith('.json')) continue
      const domain = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as FakeDomain
      this.#domains.set(domain.instanceId, domain)
    }
  }

  async hostInfo(): Promise<HostInfo> {
    return {
      hypervisorType: 'fake', hypervisorVersion: 1000, acceleration: 'none', vcpus: this.#options.vcpus,
      memoryMb: this.#options.memoryMb, diskGb: this.#options.diskGb, cpuInfo: { arch: 'x86_64', model: 'fake', vendor: 'lifeboat', topology: { sockets: 1, cores: this.#options.vcpus, threads: 1 }, features: [] },
    }
  }

  async listDomains(): Promise<DomainInfo[]> {
    return [...this.#domains.values()].map((d) => this.#info(d))
  }

  async getDomain(instanceId: string): Promise<DomainInfo | null> {
    const domain = this.#domains.get(instanceId)
    return domain ? this.#info(domain) : null
  }

  #info(domain: FakeDomain): DomainInfo {
    return { instanceId: domain.instanceId, powerState: domain.powerState, rescued: domain.rescued, layout: structuredClone(domain.layout) }
  }

  async #step(operation: string): Promise<void> {
    await this.#options.gates?.[operation]?.()
    await (this.#options.delayMs > 0 ? sleep(this.#options.delayMs) : new Promise((resolve) => setImmediate(resolve)))
    if (this.#options.failOperations?.includes(operation)) throw new DriverError(`fake ${operation} failed on purpose`, { code: DriverErrorCode.FAKE_FAILURE })
  }

  /** Where domains are kept, one file each: the state file's name without `.json`, as a folder. */
  #stateDir(): string | null {
    const file = this.#options.stateFile
    return file ? fakeDomainsDir(file) : null
  }

  /**
   * Writes (or, when it is gone, removes) one domain's file; the others stay
   * untouched. Asynchronous (the file system work runs off the event loop),
   * and atomic: a temporary file renamed over the old one.
   */
  async #save(instanceId: string): Promise<void> {
    const dir = this.#stateDir()
    if (!dir) return
    const file = path.join(dir, `${instanceId}.json`)
    const domain = this.#domains.get(instanceId)
    if (!domain) {
      await fs.promises.rm(file, { force: true })
      return
    }
    if (domain.console.length > CONSOLE_LINES) domain.console.splice(0, domain.console.length - CONSOLE_LINES)
    if (!this.#stateDirMade) {
      await fs.promises.mkdir(dir, { recursive: true })
      this.#stateDirMade = true
    }
    const tmp = `${file}.${++this.#saves}.tmp`
    await fs.promises.writeFile(tmp, JSON.stringify(domain))
    await fs.promises.rename(tmp, file)
  }

  #domain(instanceId: string): FakeDomain {
    const domain = this.#domains.get(instanceId)
    if (!domain) throw new DriverError(`no domain ${instanceId}`, { code: DriverErrorCode.DOMAIN_NOT_FOUND })
    return domain
  }

  #boot(domain: FakeDomain, what: string): void {
    domain.powerState = PowerState.RUNNING
    // Every boot plugs the NICs of the spec it boots with and applies their forwards, as a new QEMU process does.
    domain.nics = structuredClone(domain.spec.nics ?? [])
    domain.forwards = forwardsOf(domain.nics)
    const bootDevice = [...domain.layout.devices].filter((d) => d.bootIndex !== null).sort((a, b) => a.bootIndex! - b.bootIndex!)[0]
    const lines = [`[fake] booting ${what} from ${bootDevice ? `${bootDevice.name} (${bootDevice.source})` : 'nothing'}`]
    for (const device of domain.layout.devices) lines.push(`[fake] ${device.guestName} ${device.bus} ${device.address} ${device.source}`)
    for (const nic of domain.nics) lines.push(`[fake] nic ${nic.mac} ${nic.ip} network ${nic.networkId}`)
    // Like a guest reaching its login prompt: a console log longer than the few lines a `length` asks for (Tempest checks).
    lines.push(`[fake] ${what} is up`)
    domain.console.push(...lines)
    // A new process: the old serial line hangs up, the new one prints the boot.
    const port = this.#serialPort(domain.instanceId)
    port.hangUp()
    port.output(lines)
  }

  /** The serial line of a domain (made on first use). */
  #serialPort(instanceId: string): FakeSerialPort {
    let port = this.#serial.get(instanceId)
    if (!port) {
      port = new FakeSerialPort((line) => {
        const domain = this.#domains.get(instanceId)
        if (!domain) return
        domain.console.push(line)
        void this.#save(instanceId).catch(() => undefined)
      })
      this.#serial.set(instanceId, port)
    }
    return port
  }

  /** The domain's process stopped: its serial streams end. */
  #hangUp(instanceId: string): void {
    this.#serial.get(instanceId)?.hangUp()
  }

  #normalLayout(spec: InstanceSpec): DomainLayout {
    return planDomainLayout(spec.disks, this.#options.machineType, describeSource)
  }

  async spawn(spec: InstanceSpec): Promise<void> {
    await this.#step('spawn')
    const domain: FakeDomain = { instanceId: spec.instanceId, powerState: PowerState.NOSTATE, rescued: false, spec, layout: this.#normalLayout(spec), console: [], rootSnapshot: false, configDriveKeys: keyNames(spec.configDrive) }
    const kept = this.#kept.get(spec.instanceId)?.filter((name) => spec.disks.some((disk) => disk.name === name))
    this.#kept.delete(spec.instanceId)
    if (kept && kept.length > 0) domain.keptDisks = kept
    this.#boot(domain, spec.name)
    this.#domains.set(spec.instanceId, domain)
    await this.#save(spec.instanceId)
  }

  async destroy(instanceId: string, options: { keepDisks?: readonly string[] } = {}): Promise<void> {
    await this.#step('destroy')
    // Like the QEMU driver's files left in place: the next spawn of this instance records them as kept.
    if (options.keepDisks?.length) this.#kept.set(instanceId, [...options.keepDisks])
    else this.#kept.delete(instanceId)
    this.#hangUp(instanceId)
    this.#serial.delete(instanceId)
    this.#domains.delete(instanceId)
    await this.#save(instanceId)
  }

  async powerOff(instanceId: string): Promise<void> {
    await this.#step('powerOff')
    const domain = this.#domain(instanceId)
    domain.powerState = PowerState.SHUTDOWN
    domain.console.push('[fake] powered off')
    this.#hangUp(instanceId)
    await this.#save(instanceId)
  }

  async powerOn(spec: InstanceSpec): Promise<void> {
    await this.#step('powerOn')
    const domain = this.#domains.get(spec.instanceId) ?? { instanceId: spec.instanceId, powerState: PowerState.NOSTATE, rescued: false, spec, layout: this.#normalLayout(spec), console: [], rootSnapshot: false, configDriveKeys: [] }
    Object.assign(domain, { spec, layout: this.#normalLayout(spec), rescued: false, configDriveKeys: keyNames(spec.configDrive) })
    this.#boot(domain, spec.name)
    this.#domains.set(spec.instanceId, domain)
    await this.#save(spec.instanceId)
  }

  async resize(spec: InstanceSpec, options: { powerOn: boolean }): Promise<void> {
    await this.#step('resize')
    const domain = this.#domain(spec.instanceId)
    // A retry keeps what the first attempt kept.
    domain.resizedFrom ??= domain.spec
    this.#hangUp(spec.instanceId)
    Object.assign(domain, { spec, layout: this.#normalLayout(spec), powerState: PowerState.SHUTDOWN })
    domain.console.push(`[fake] resized to ${spec.vcpus} vCPUs, ${spec.memoryMb} MiB`)
    if (options.powerOn) this.#boot(domain, spec.name)
    await this.#save(spec.instanceId)
  }

  async confirmResize(instanceId: string): Promise<void> {
    await this.#step('confirmResize')
    this.#domain(instanceId).resizedFrom = null
    await this.#save(instanceId)
  }

  async revertResize(spec: InstanceSpec, options: { powerOn: boolean }): Promise<void> {
    await this.#step('revertResize')
    const domain = this.#domain(spec.instanceId)
    this.#hangUp(spec.instanceId)
    Object.assign(domain, { spec, layout: this.#normalLayout(spec), powerState: PowerState.SHUTDOWN, resizedFrom: null })
    domain.console.push(`[fake] resize reverted to ${spec.vcpus} vCPUs, ${spec.memoryMb} MiB`)
    if (options.powerOn) this.#boot(domain, spec.name)
    await this.#save(spec.instanceId)
  }

  /** Live migration, destination: the domain exists here paused, as QEMU's `-incoming defer`. */
  async prepareIncomingMigration(spec: InstanceSpec, listenHost: string, rescue?: RescueSpec): Promise<IncomingMigration> {
    await this.#step('prepareIncomingMigration')
    const domain: FakeDomain = { instanceId: spec.instanceId, powerState: PowerState.PAUSED, rescued: false, spec, layout: this.#normalLayout(spec), console: ['[fake] waiting for an incoming migration'], rootSnapshot: false, configDriveKeys: keyNames(spec.configDrive) }
    // A rescued server arrives in its rescue layout, with its pre-rescue root snapshot (for unrescue's discard).
    if (rescue) {
      Object.assign(domain, { layout: planRescueLayout(rescue, this.#options.machineType, describeSource), rescued: true, rootSnapshot: rescue.snapshotRoot, configDriveKeys: keyNames(rescue.rescueConfigDrive) })
      domain.console.push(`[fake] the incoming guest runs rescue image ${rescue.rescueImage.imageId} (${rescue.mode})`)
    }
    this.#domains.set(spec.instanceId, domain)
    await this.#save(spec.instanceId)
    const local = spec.disks.filter((d) => d.source.kind === 'image' || d.source.kind === 'blank').map((d) => d.name)
    return { host: listenHost, nbdPort: 0, migrationPort: 0, exports: Object.fromEntries([...local, ...(rescue ? ['rescue'] : [])].map((name) => [name, name])) }
  }

  /** Live migration, source: the guest leaves this host. */
  async migrateLive(spec: InstanceSpec): Promise<LiveMigrationStats> {
    await this.#step('migrateLive')
    this.#domain(spec.instanceId)
    this.#hangUp(spec.instanceId)
    this.#serial.delete(spec.instanceId)
    this.#domains.delete(spec.instanceId)
    await this.#save(spec.instanceId)
    return { totalMs: 0, downtimeMs: 0 }
  }

  /** Live migration, destination: the guest continues here. */
  async finishIncomingMigration(instanceId: string, options: { paused: boolean }): Promise<void> {
    await this.#step('finishIncomingMigration')
    const domain = this.#domain(instanceId)
    domain.powerState = options.paused ? PowerState.PAUSED : PowerState.RUNNING
    domain.console.push(domain.rescued ? '[fake] live migration arrived, rescued' : '[fake] live migration arrived')
    await this.#save(instanceId)
  }

  /** Live migration, destination: what was prepared goes. */
  async abortIncomingMigration(instanceId: string): Promise<void> {
    await this.#step('abortIncomingMigration')
    this.#domains.delete(instanceId)
    await this.#save(instanceId)
  }

  /** Cold migration, source: the guest stops; its record is the "disks" the destination copies (the fake's NBD). */
  async exportForMigration(spec: InstanceSpec, listenHost: string): Promise<OutgoingMigration> {
    await this.#step('exportForMigration')
    const domain = this.#domain(spec.instanceId)
    this.#hangUp(spec.instanceId)
    domain.powerState = PowerState.SHUTDOWN
    domain.console.push('[fake] powered off for a cold migration')
    await this.#save(spec.instanceId)
    const exports = Object.fromEntries(domain.layout.devices.map((d) => [d.name, d.name]))
    return { host: listenHost, nbdPort: 0, exports, state: { domain: structuredClone(domain) } }
  }

  /** Cold migration, destination: the copied domain, as it was (rescued too), booted when `powerOn`. */
  async importMigration(spec: InstanceSpec, source: OutgoingMigration, options: { powerOn: boolean }): Promise<void> {
    await this.#step('importMigration')
    const copied = source.state.domain as FakeDomain | undefined
    if (!copied) throw new DriverError('the source described no domain')
    const domain: FakeDomain = {
      ...copied, spec, powerState: PowerState.SHUTDOWN, resizedFrom: null,
      layout: copied.rescued ? copied.layout : this.#normalLayout(spec), console: [...copied.console, '[fake] arrived by cold migration'],
    }
    this.#domains.set(spec.instanceId, domain)
    if (options.powerOn) this.#boot(domain, copied.rescued ? 'rescue' : spec.name)
    await this.#save(spec.instanceId)
  }

  /** Cold migration, either host: the copy goes (`drop`) or boots again as it was. */
  async releaseMigration(spec: InstanceSpec, options: { drop: boolean; powerOn: boolean }): Promise<void> {
    await this.#step('releaseMigration')
    const domain = this.#domains.get(spec.instanceId)
    if (!domain) return
    if (options.drop) {
      this.#hangUp(spec.instanceId)
      this.#serial.delete(spec.instanceId)
      this.#domains.delete(spec.instanceId)
    } else if (options.powerOn && domain.powerState !== PowerState.RUNNING) {
      this.#boot(domain, domain.rescued ? 'rescue' : spec.name)
    }
    await this.#save(spec.instanceId)
  }

  async reboot(spec: InstanceSpec, kind: 'SOFT' | 'HARD'): Promise<void> {
    await this.#step('reboot')
    const domain = this.#domain(spec.instanceId)
    Object.assign(domain, { spec, layout: this.#normalLayout(spec) })
    domain.console.push(`[fake] ${kind.toLowerCase()} reboot`)
    this.#boot(domain, spec.name)
    await this.#save(spec.instanceId)
  }

  async #setPower(instanceId: string, operation: string, state: PowerState): Promise<void> {
    await this.#step(operation)
    this.#domain(instanceId).powerState = state
    await this.#save(instanceId)
  }

  pause(instanceId: string): Promise<void> {
    return this.#setPower(instanceId, 'pause', PowerState.PAUSED)
  }

  unpause(instanceId: string): Promise<void> {
    return this.#setPower(instanceId, 'unpause', PowerState.RUNNING)
  }

  /** Records the NMI in the console log, as a guest kernel would print it; only a live (running or paused) guest takes one. */
  async triggerCrashDump(instanceId: string): Promise<void> {
    await this.#step('trigger_crash_dump')
    const domain = this.#domain(instanceId)
    if (domain.powerState !== PowerState.RUNNING && domain.powerState !== PowerState.PAUSED) throw new DriverError(`domain ${instanceId} is not running`, { code: DriverErrorCode.DOMAIN_NOT_RUNNING })
    domain.console.push('[fake] NMI received: crash dump triggered')
    await this.#save(instanceId)
  }

  async suspend(instanceId: string): Promise<void> {
    await this.#setPower(instanceId, 'suspend', PowerState.SUSPENDED)
    this.#hangUp(instanceId)
  }

  async resume(spec: InstanceSpec): Promise<void> {
    await this.#setPower(spec.instanceId, 'resume', PowerState.RUNNING)
    // A resumed guest is a new process too: its forwards are the spec's.
    const domain = this.#domain(spec.instanceId)
    domain.forwards = appliedForwards(domain.nics ?? [], spec)
    await this.#save(spec.instanceId)
  }

  /**
   * Serial: a stream of the domain's `FakeSerialPort` (echo, boot lines,
   * typed lines in the console log). VNC: a new `FakeRfbServer` named after
   * the domain. Both only while the domain runs (or is paused).
   */
  async openConsole(instanceId: string, console: 'serial' | 'vnc'): Promise<Duplex> {
    await this.#step('openConsole')
    const domain = this.#domain(instanceId)
    if (domain.powerState !== PowerState.RUNNING && domain.powerState !== PowerState.PAUSED) {
      throw new DriverError(`domain ${instanceId} is not running`, { code: DriverErrorCode.CONSOLE_NOT_RUNNING })
    }
    return console === 'serial' ? this.#serialPort(instanceId).open() : new FakeRfbServer({ name: domain.spec.name })
  }

  async applyForwards(spec: InstanceSpec): Promise<void> {
    await this.#step('applyForwards')
    const domain = this.#domain(spec.instanceId)
    if (domain.powerState === PowerState.RUNNING || domain.powerState === PowerState.PAUSED) {
      domain.forwards = appliedForwards(domain.nics ?? [], spec)
      domain.console.push(`[fake] forwards ${JSON.stringify(domain.forwards)}`)
    }
    await this.#save(spec.instanceId)
  }

  async getConsoleOutput(instanceId: string, maxLines?: number): Promise<string> {
    await this.#step('getConsoleOutput')
    const lines = this.#domain(instanceId).console
    return (maxLines === undefined ? lines : lines.slice(-maxLines)).join('\n')
  }

  async snapshot(instanceId: string, target: { path: string; format: string }): Promise<void> {
    await this.#step('snapshot')
    const domain = this.#domain(instanceId)
    fs.mkdirSync(path.dirname(target.path), { recursive: true })
    fs.writeFileSync(target.path, `fake snapshot of ${domain.instanceId} (${target.format})\n`)
  }

  async attachVolume(spec: InstanceSpec): Promise<void> {
    await this.#step('attachVolume')
    const domain = this.#domain(spec.instanceId)
    Object.assign(domain, { spec, layout: this.#normalLayout(spec) })
    await this.#save(spec.instanceId)
  }

  async detachVolume(spec: InstanceSpec): Promise<void> {
    await this.#step('detachVolume')
    const domain = this.#domain(spec.instanceId)
    Object.assign(domain, { spec, layout: this.#normalLayout(spec) })
    await this.#save(spec.instanceId)
  }

  /** A running or paused guest gets the NIC at once (recorded, with its forwards); a stopped one at its next boot. */
  async attachInterface(spec: InstanceSpec, portId: string): Promise<void> {
    await this.#step('attachInterface')
    const domain = this.#domain(spec.instanceId)
    domain.spec = spec
    const nic = spec.nics.find((n) => n.portId === portId)
    if (!nic) throw new DriverError(`port ${portId} is not a NIC of the spec`, { code: DriverErrorCode.BAD_SPEC })
    if (this.#live(domain) && !domain.nics?.some((n) => n.portId === portId)) {
      domain.nics = [...(domain.nics ?? []), structuredClone(nic)]
      domain.forwards = { ...domain.forwards, ...forwardsOf([nic]) }
      domain.console.push(`[fake] nic hot-plugged ${nic.mac} ${nic.ip} network ${nic.networkId}`)
    }
    await this.#save(spec.instanceId)
  }

  /** A running guest loses the NIC at once; a stopped one boots without it. */
  async detachInterface(spec: InstanceSpec, portId: string): Promise<void> {
    await this.#step('detachInterface')
    const domain = this.#domain(spec.instanceId)
    domain.spec = spec
    const nic = domain.nics?.find((n) => n.portId === portId)
    if (this.#live(domain) && nic) {
      domain.nics = domain.nics!.filter((n) => n.portId !== portId)
      const forwards = { ...domain.forwards }
      delete forwards[portId]
      domain.forwards = forwards
      domain.console.push(`[fake] nic hot-unplugged ${nic.mac}`)
    }
    await this.#save(spec.instanceId)
  }

  #live(domain: FakeDomain): boolean {
    return domain.powerState === PowerState.RUNNING || domain.powerState === PowerState.PAUSED
  }

  async rescue(spec: RescueSpec, options: { onShutDown?: () => void } = {}): Promise<void> {
    const domain = this.#domain(spec.instance.instanceId)
    if (domain.powerState !== PowerState.SHUTDOWN) domain.console.push('[fake] clean shutdown before rescue')
    domain.powerState = PowerState.SHUTDOWN
    this.#hangUp(domain.instanceId)
    await this.#save(spec.instance.instanceId)
    options.onShutDown?.()
    await this.#step('rescue')
    const layout = planRescueLayout(spec, this.#options.machineType, describeSource)
    Object.assign(domain, { spec: spec.instance, layout, rescued: true, rootSnapshot: spec.snapshotRoot, configDriveKeys: keyNames(spec.rescueConfigDrive) })
    this.#boot(domain, `rescue image ${spec.rescueImage.imageId} (${spec.mode})`)
    await this.#save(spec.instance.instanceId)
  }

  /** Runs nothing: the script's `# fake-…` lines say how the run ends (`fake-run.ts`). */
  async awaitRescueRun(instanceId: string, run: RescueRunSpec, deadline: number): Promise<RescueRunOutcome | null> {
    const domain = this.#domain(instanceId)
    const outcome = await simulateRescueRun(run, deadline)
    domain.console.push(outcome ? `[fake] rescue run exit ${outcome.exitStatus}` : '[fake] rescue run: no result')
    await this.#save(instanceId)
    return outcome
  }

  async unrescue(spec: InstanceSpec, options: { discardChanges: boolean }): Promise<void> {
    await this.#step('unrescue')
    const domain = this.#domain(spec.instanceId)
    domain.powerState = PowerState.SHUTDOWN
    this.#hangUp(spec.instanceId)
    if (options.discardChanges && domain.rootSnapshot) domain.console.push('[fake] root restored from the pre-rescue snapshot')
    Object.assign(domain, { spec, layout: this.#normalLayout(spec), rescued: false, rootSnapshot: false, configDriveKeys: keyNames(spec.configDrive) })
    this.#boot(domain, spec.name)
    await this.#save(spec.instanceId)
  }
}
