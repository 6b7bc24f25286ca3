import fs from 'node:fs'
import { planRescueLayout } from '../rescue-layout.js'
import { DriverError, type InstanceSpec, type RescueSpec } from '../virt-driver.js'
import { buildConfigDrive } from './config-drive.js'
import type { DomainPaths, DomainRecord, RootOverlay } from './domain-store.js'
import { backingFormat, commitOverlay, createOverlay } from './image-cache.js'
import { formatsOf, type DiskFile, type QemuHost } from './qemu-host.js'
import { DriverErrorCode } from '../error-codes.js'

function removeRescueFiles(paths: DomainPaths): void {
  for (const file of [paths.rescueDisk, paths.rescueConfigDrive, `${paths.rescueConfigDrive}.sha256`, paths.runChannel]) fs.rmSync(file, { force: true })
}

/** The pre-rescue snapshot: a qcow2 overlay over the root (image overlay or volume), which the rescue writes into. */
async function snapshotRoot(host: QemuHost, spec: RescueSpec, paths: DomainPaths): Promise<{ overlay: RootOverlay; diskName: string } | null> {
  const root = spec.instance.disks.find((d) => d.role === 'root')
  if (!spec.snapshotRoot || !root) return null
  const file = host.diskFile(paths, root)
  fs.rmSync(paths.rescueRootOverlay, { force: true })
  await createOverlay(paths.rescueRootOverlay, file.path, file.format)
  return { overlay: { path: paths.rescueRootOverlay, backing: file.path, backingFormat: file.format }, diskName: root.name }
}

/**
 * Rescue: shut the guest down cleanly (up to the timeout), make a throwaway
 * qcow2 overlay of the rescue image, optionally an overlay of the root to
 * discard later, write the rescue config drive in place of the original one,
 * and start QEMU with `planRescueLayout`'s layout. On failure the rescue
 * files go and the record says "not rescued" again.
 */
export async function rescueDomain(host: QemuHost, spec: RescueSpec, options: { timeoutSeconds: number; onShutDown?: () => void }, steps = new StepTimer()): Promise<void> {
  const instance = spec.instance
  const paths = host.store.prepare(instance.instanceId)
  const previous = host.store.load(instance.instanceId)
  if (previous?.rescued) throw new DriverError(`domain ${instance.instanceId} is already rescued`, { code: DriverErrorCode.ALREADY_RESCUED })
  removeRescueFiles(paths)
  const shutdown = host.shutdown(paths, options.timeoutSeconds)
  shutdown.catch(() => undefined)
  const config = instance.disks.find((d) => d.source.kind === 'config-drive')
  const rescueConfig = config && spec.rescueConfigDrive ? spec.rescueConfigDrive : null
  // The rescue disk and config drive do not touch the guest's disks: they are made while the guest shuts down.
  const rescueFiles = Promise.all([
    host.images.base(spec.rescueImage.imageId, spec.rescueImage.path, spec.rescueImage.format)
      .then((base) => createOverlay(paths.rescueDisk, base, backingFormat(spec.rescueImage.format))),
    rescueConfig ? buildConfigDrive(rescueConfig, paths.rescueConfigDrive) : Promise.resolve(),
  ])
  rescueFiles.catch(() => undefined)
  let saved: DomainRecord | null = null
  try {
    await shutdown
    steps.lap('shutdown')
    options.onShutDown?.()
    fs.rmSync(paths.state, { force: true })
    await host.prepareDisks(instance, paths)

    const [, snapshot] = await Promise.all([rescueFiles, snapshotRoot(host, spec, paths)])
    const overrides: Record<string, DiskFile> = { rescue: { path: paths.rescueDisk, format: 'qcow2' } }
    if (snapshot) overrides[snapshot.diskName] = { path: snapshot.overlay.path, format: 'qcow2' }
    if (config && rescueConfig) overrides[config.name] = { path: paths.rescueConfigDrive, format: 'raw' }

    // A run's result channel: an empty file QEMU appends the guest's ttyS1 to (its presence adds the port).
    if (spec.run) fs.writeFileSync(paths.runChannel, '', { mode: 0o600 })
    const files = host.files(instance, paths, overrides)
    const layout = planRescueLayout(spec, host.machineType, (disk) => files[disk.name]!.path)
    const current = previous ?? host.newRecord(instance, layout, files)
    saved = { ...current, spec: instance, rescued: true, rescue: { mode: spec.mode, rootOverlay: snapshot?.overlay ?? null }, suspended: false }
    host.store.save(saved)
    steps.lap('prepare')
    await host.start(saved, layout, formatsOf(files))
    steps.lap('start')
  } catch (error) {
    await rescueFiles.catch((files: unknown) => host.log.warn({ err: files, server: instance.instanceId }, 'the rescue failed; making its rescue disk or config drive had failed too'))
    removeRescueFiles(paths)
    fs.rmSync(paths.rescueRootOverlay, { force: true })
    if (saved) host.store.save({ ...saved, rescued: false, rescue: null })
    throw error
  }
}

/**
 * Unrescue: shut the rescue environment down cleanly, delete the rescue
 * overlay and rescue config drive, then either write the rescue's changes
 * into the root (default, as Nova keeps them) or throw them away
 * (`discardChanges`), and boot the normal layout.
 */
export async function unrescueDomain(host: QemuHost, spec: InstanceSpec, options: { discardChanges: boolean; timeoutSeconds: number }, steps = new StepTimer()): Promise<void> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  await host.shutdown(paths, options.timeoutSeconds)
  steps.lap('shutdown')
  removeRescueFiles(paths)
  const overlay = record.rescue?.rootOverlay
  if (overlay && fs.existsSync(overlay.path)) {
    if (!options.discardChanges) await commitOverlay(overlay.path)
    fs.rmSync(overlay.path, { force: true })
  }
  host.store.save({ ...record, rescued: false, rescue: null })
  steps.lap('prepare')
  await host.bootNormal(spec)
  steps.lap('start')
}

/** Durations of the steps of one operation, in milliseconds, in order. */
export class StepTimer {
  readonly steps: Record<string, number> = {}
  #last = performance.now()

  /** Records the time since the previous lap under `name`. */
  lap(name: string): void {
    const now = performance.now()
    this.steps[name] = Math.round((now - this.#last) * 10) / 10
    this.#last = now
  }
}
