import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { DiskFormat, DomainLayout, InstanceSpec, PortForward } from '../virt-driver.js'
import type { GuestEgress } from './qemu-network.js'

/** A NIC of the running QEMU process: its netdev, the port it realises, and the forwards applied now. */
export interface PluggedNic {
  netdev: string
  portId: string
  ip: string
  forwards: PortForward[]
  /** The QEMU id of its `virtio-net-pci` (absent: `nic<N>` of `net<N>`, a NIC of the command line). */
  device?: string
  /** The `pci.0` slot of a NIC plugged into the running guest on pc (absent: a function of the NICs' slot 3, from the command line). */
  slot?: number
  /** The spare `pcie-root-port` of a NIC plugged into the running guest on q35. */
  port?: string
}

/** The pre-rescue snapshot of the root: a qcow2 overlay whose backing file is the root as it was. */
export interface RootOverlay {
  path: string
  backing: string
  backingFormat: DiskFormat
}

/** What the driver remembers of a domain, so a new agent process finds it again. */
export interface DomainRecord {
  instanceId: string
  spec: InstanceSpec
  /** The layout QEMU runs with (or last ran with). */
  layout: DomainLayout
  /** Image format of each device's file, by device name. */
  formats: Record<string, DiskFormat>
  /** The command line of the last start; resume reuses it so the device model matches the saved state. */
  argv: string[]
  /** PCI slots of the controllers of the running process, by controller id (grows with hot-plugs). */
  controllers: Record<string, string>
  rescued: boolean
  rescue: { mode: 'stable' | 'legacy'; rootOverlay: RootOverlay | null } | null
  /** The guest's state is saved in `state` (suspend) and QEMU is not running. */
  suspended: boolean
  /** The NICs of the last QEMU process and their forwards as applied now (absent in records of older versions: none). */
  nics?: PluggedNic[]
  /** An unconfirmed resize: the spec before it, and each local disk's copy as it was (disk name → kept file). */
  resizeBackup?: { spec: InstanceSpec; files: Record<string, string> } | null
  /** How the last QEMU process was networked (absent in records of older versions: on the host's own network). */
  egress?: GuestEgress
}

/** The files of one domain. */
export interface DomainPaths {
  dir: string
  record: string
  pidFile: string
  qmpSocket: string
  /** The serial console's unix socket (QEMU serves it; the log file keeps recording the output). */
  consoleSocket: string
  /** The VNC server's unix socket. */
  vncSocket: string
  /** slirp4netns's API socket of a guest in its own network namespace (`nat`), its log, and the resolv.conf the namespace sees. */
  netSocket: string
  netLog: string
  resolvConf: string
  consoleLog: string
  /** Saved guest state of a suspended domain. */
  state: string
  configDrive: string
  rescueConfigDrive: string
  rescueDisk: string
  rescueRootOverlay: string
  /** A rescue run's result channel: the guest's second serial port (ttyS1) written to this file (docs/rescue-runs.md). */
  runChannel: string
  /** A local disk of the domain (root overlay, ephemeral, swap): `<name>.qcow2`. */
  disk(name: string): string
}

// sun_path holds 108 bytes; deep state folders get their socket under the temp folder instead.
const MAX_SOCKET_PATH = 100

/**
 * Per-domain state folders under `<stateDir>/domains/<instance id>/`: a JSON
 * record of the spec and layout, the pidfile, the QMP socket, the console log
 * and the domain's local disks. Records are written atomically.
 */
export class DomainStore {
  readonly #root: string

  constructor(stateDir: string) {
    this.#root = path.join(path.resolve(stateDir), 'domains')
  }

  /** The paths of a domain's files (whether or not they exist). */
  paths(instanceId: string): DomainPaths {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(instanceId)) throw new Error(`bad instance id ${instanceId}`)
    const dir = path.join(this.#root, instanceId)
    // Each socket in the domain's folder when its path fits, else under the temp folder (the QMP one keeps its older name there).
    const socket = (name: string, short: string) => {
      const inDir = path.join(dir, name)
      if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return inDir
      const hash = crypto.createHash('sha256').update(dir).digest('hex').slice(0, 24)
      return path.join(os.tmpdir(), 'lifeboat-qmp', `${hash}${short}`)
    }
    return {
      dir, qmpSocket: socket('qmp.sock', '.sock'), consoleSocket: socket('console.sock', '.console.sock'), vncSocket: socket('vnc.sock', '.vnc.sock'),
      netSocket: socket('net.sock', '.net.sock'), netLog: path.join(dir, 'slirp4netns.log'), resolvConf: path.join(dir, 'resolv.conf'),
      record: path.join(dir, 'domain.json'),
      pidFile: path.join(dir, 'qemu.pid'),
      consoleLog: path.join(dir, 'console.log'),
      state: path.join(dir, 'suspended.state'),
      configDrive: path.join(dir, 'config.iso'),
      rescueConfigDrive: path.join(dir, 'rescue-config.iso'),
      rescueDisk: path.join(dir, 'rescue.qcow2'),
      rescueRootOverlay: path.join(dir, 'rescue-root-overlay.qcow2'),
      runChannel: path.join(dir, 'run-channel.log'),
      disk: (name) => path.join(dir, `${name}.qcow2`),
    }
  }

  /** Creates the domain's folder (and the socket folder when it lives elsewhere). */
  prepare(instanceId: string): DomainPaths {
    const paths = this.paths(instanceId)
    fs.mkdirSync(paths.dir, { recursive: true })
    for (const socket of [paths.qmpSocket, paths.consoleSocket, paths.vncSocket, paths.netSocket]) fs.mkdirSync(path.dirname(socket), { recursive: true })
    return paths
  }

  load(instanceId: string): DomainRecord | null {
    try {
      return JSON.parse(fs.readFileSync(this.paths(instanceId).record, 'utf8')) as DomainRecord
    } catch {
      return null
    }
  }

  save(record: DomainRecord): void {
    const file = this.prepare(record.instanceId).record
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`)
    fs.renameSync(tmp, file)
  }

  /** Every domain with a record. */
  list(): DomainRecord[] {
    if (!fs.existsSync(this.#root)) return []
    return fs.readdirSync(this.#root).flatMap((id) => {
      const record = this.load(id)
      return record ? [record] : []
    })
  }

  /** Forgets a domain and deletes its whole folder (local disks, console log), except the files in `keep`. */
  remove(instanceId: string, keep: readonly string[] = []): void {
    const paths = this.paths(instanceId)
    if (keep.length === 0) fs.rmSync(paths.dir, { recursive: true, force: true })
    else if (fs.existsSync(paths.dir)) {
      for (const entry of fs.readdirSync(paths.dir)) {
        const file = path.join(paths.dir, entry)
        if (!keep.includes(file)) fs.rmSync(file, { recursive: true, force: true })
      }
    }
    for (const socket of [paths.qmpSocket, paths.consoleSocket, paths.vncSocket, paths.netSocket]) fs.rmSync(socket, { force: true })
  }
}
