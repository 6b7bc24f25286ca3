import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DriverError, type DiskFormat, type DomainLayout, type InstanceSpec, type OutgoingMigration } from '../virt-driver.js'
import type { DomainPaths, DomainRecord } from './domain-store.js'
import { formatsOf, type QemuHost } from './qemu-host.js'
import { runningPid } from './qemu-process.js'
import { runCommand } from './run-command.js'
import { backingFormat } from './image-cache.js'
import { freePort } from './qemu-live-migration.js'
import { localDisks } from './qemu-rescued-migration.js'
import { DriverErrorCode } from '../error-codes.js'

/** How long a disk copy may take (a big disk over a slow link). */
const COPY_TIMEOUT_MS = 60 * 60_000

/** What the destination needs besides the bytes (the source's `state`). */
interface ColdState {
  [key: string]: unknown
  sourceDir: string
  rescued: boolean
  rescueMode: 'stable' | 'legacy' | null
  layout: DomainLayout
  formats: Record<string, DiskFormat>
}

/** One file served: raw bytes (a qcow2 file as it is, its backing fixed at the destination), or flattened through its qcow2 chain. */
interface Served { name: string; path: string; flatten: boolean }

function daemonPidFile(paths: DomainPaths): string {
  return path.join(paths.dir, 'cold-migration-nbd.pid')
}

/** QEMU's option syntax doubles commas inside a value. */
const opt = (value: string) => value.replaceAll(',', ',,')

/** The files of a stopped domain the destination copies: its local disks and, rescued, the rescue's own files. */
function servedFiles(record: DomainRecord, spec: InstanceSpec, paths: DomainPaths): Served[] {
  const files: Served[] = localDisks(spec).map((disk) => ({ name: `disk.${disk.name}`, path: paths.disk(disk.name), flatten: false }))
  if (record.rescued) {
    // The rescue disk is an overlay of a rescue image the destination may not hold: it travels flattened (rescue images are small).
    files.push({ name: 'rescue.disk', path: paths.rescueDisk, flatten: true })
    if (fs.existsSync(paths.rescueConfigDrive)) files.push({ name: 'rescue.config', path: paths.rescueConfigDrive, flatten: false })
    if (record.rescue?.rootOverlay && fs.existsSync(record.rescue.rootOverlay.path)) files.push({ name: 'rescue.root-overlay', path: record.rescue.rootOverlay.path, flatten: false })
  }
  return files.filter((file) => fs.existsSync(file.path))
}

/** Stops the migration's NBD server of this domain, if one runs. */
async function stopServing(paths: DomainPaths): Promise<void> {
  const file = daemonPidFile(paths)
  const pid = Number(fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : NaN)
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 'SIGTERM')
      for (let i = 0; i < 50; i++) {
        process.kill(pid, 0)
        await sleep(100)
      }
      process.kill(pid, 'SIGKILL')
    } catch {
      // Gone (ESRCH): what was wanted.
    }
  }
  fs.rmSync(file, { force: true })
}

/** Boots a kept domain again as its record says (its rescue layout when rescued). */
async function bootAsItWas(host: QemuHost, spec: InstanceSpec): Promise<void> {
  const record = host.store.load(spec.instanceId)
  if (!record) throw new DriverError(`no domain ${spec.instanceId}`, { code: DriverErrorCode.DOMAIN_NOT_FOUND })
  if (runningPid(host.store.paths(spec.instanceId)) !== null) return
  if (record.rescued) await host.start(record, record.layout, record.formats)
  else await host.bootNormal(spec)
}

/**
 * Source (Nova's `migrate_disk_and_power_off` without shared storage): shut
 * the guest down, then serve its files read-only over NBD with one
 * `qemu-storage-daemon` on `listenHost` (an export per file). The domain and
 * its files stay for a revert until `releaseCold` drops them. A failure
 * boots the guest again if it ran.
 */
export async function exportCold(host: QemuHost, spec: InstanceSpec, listenHost: string, timeoutSeconds: number): Promise<OutgoingMigration> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  const wasRunning = runningPid(paths) !== null
  await host.shutdown(paths, timeoutSeconds)
  try {
    await stopServing(paths)
    const files = servedFiles(record, spec, paths)
    const port = await freePort(listenHost)
    const args = ['--daemonize', '--pidfile', daemonPidFile(paths), '--nbd-server', `addr.type=inet,addr.host=${listenHost},addr.port=${port}`]
    files.forEach((file, i) => {
      args.push('--blockdev', `driver=file,node-name=f${i},filename=${opt(file.path)},read-only=on`)
      if (file.flatten) args.push('--blockdev', `driver=qcow2,node-name=q${i},file=f${i},read-only=on`)
      args.push('--export', `type=nbd,id=e${i},node-name=${file.flatten ? 'q' : 'f'}${i},name=${file.name},writable=off`)
    })
    await runCommand('qemu-storage-daemon', args)
    const state: ColdState = { sourceDir: paths.dir, rescued: record.rescued, rescueMode: record.rescue?.mode ?? null, layout: record.layout, formats: record.formats }
    return { host: listenHost, nbdPort: port, exports: Object.fromEntries(files.map((f) => [f.name, f.name])), state }
  } catch (error) {
    await stopServing(paths)
    if (wasRunning) await bootAsItWas(host, spec).catch((boot: unknown) => host.log.warn({ err: boot, server: spec.instanceId }, 'a cold migration could not serve the disks, and the guest could not be booted again'))
    throw new DriverError('the disks could not be served for the migration', { cause: error, code: DriverErrorCode.COMMAND_FAILED })
  }
}

/**
 * Destination (Nova's `finish_migration`): copy every served file with
 * `qemu-img convert` from the source's NBD exports — a qcow2 overlay byte for
 * byte, then pointed at this host's copy of its backing (the same image, as
 * live migration assumes) — write the config drive, define the domain (the
 * rescue layout, with the source's paths made this host's, when it was
 * rescued) and boot it when `powerOn`. A failure removes what was made.
 */
export async function importCold(host: QemuHost, spec: InstanceSpec, source: OutgoingMigration, options: { powerOn: boolean }): Promise<void> {
  const paths = host.store.prepare(spec.instanceId)
  if (runningPid(paths) !== null) throw new DriverError(`domain ${spec.instanceId} already runs here`)
  const state = source.state as ColdState
  const url = (name: string) => `nbd://${source.host}:${source.nbdPort}/${name}`
  const pull = async (name: string, target: string, format: 'raw' | 'qcow2') => {
    if (!source.exports[name]) return false
    await runCommand('qemu-img', ['convert', '-q', '-f', 'raw', '-O', format, url(source.exports[name]), target], { timeoutMs: COPY_TIMEOUT_MS })
    return true
  }
  const rebase = (file: string, backing: string, format: DiskFormat) => runCommand('qemu-img', ['rebase', '-q', '-u', '-f', 'qcow2', '-b', backing, '-F', format, file])
  try {
    for (const disk of localDisks(spec)) {
      const file = paths.disk(disk.name)
      if (!(await pull(`disk.${disk.name}`, file, 'raw'))) continue
      if (disk.source.kind === 'image') {
        const base = await host.images.base(disk.source.imageId, disk.source.imagePath, disk.source.format)
        await rebase(file, base, disk.source.format === 'qcow2' ? 'qcow2' : 'raw')
      }
    }
    await host.prepareDisks(spec, paths)
    let layout: DomainLayout
    let formats: Record<string, DiskFormat>
    let rescue: DomainRecord['rescue'] = null
    if (state.rescued) {
      await pull('rescue.disk', paths.rescueDisk, 'qcow2')
      await pull('rescue.config', paths.rescueConfigDrive, 'raw')
      const root = spec.disks.find((d) => d.role === 'root')
      let rootOverlay: NonNullable<DomainRecord['rescue']>['rootOverlay'] = null
      if (root && (await pull('rescue.root-overlay', paths.rescueRootOverlay, 'raw'))) {
        const rootFile = host.diskFile(paths, root)
        await rebase(paths.rescueRootOverlay, rootFile.path, backingFormat(rootFile.format))
        rootOverlay = { path: paths.rescueRootOverlay, backing: rootFile.path, backingFormat: backingFormat(rootFile.format) }
      }
      const here = (file: string) => (file.startsWith(`${state.sourceDir}/`) ? path.join(paths.dir, file.slice(state.sourceDir.length + 1)) : file)
      layout = { ...state.layout, devices: state.layout.devices.map((d) => ({ ...d, source: here(d.source) })) }
      formats = state.formats
      rescue = { mode: state.rescueMode ?? 'stable', rootOverlay }
    } else {
      const normal = host.normalLayout(spec, paths)
      layout = normal.layout
      formats = formatsOf(normal.files)
    }
    const record: DomainRecord = { ...host.newRecord(spec, layout, {}), formats, rescued: state.rescued, rescue }
    host.store.save(record)
    if (options.powerOn) await host.start(record, layout, formats)
  } catch (error) {
    await host.hardStop(paths).catch(() => undefined)
    host.store.remove(spec.instanceId)
    throw error
  }
}

/** Either host: the NBD server stops; then this copy goes (`drop`), or boots again as it was when `powerOn`. */
export async function releaseCold(host: QemuHost, spec: InstanceSpec, options: { drop: boolean; powerOn: boolean }): Promise<void> {
  const paths = host.store.paths(spec.instanceId)
  await stopServing(paths)
  if (options.drop) {
    await host.hardStop(paths)
    host.store.remove(spec.instanceId)
    return
  }
  if (options.powerOn) await bootAsItWas(host, spec)
}
