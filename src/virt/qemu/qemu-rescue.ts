import fs from 'node:fs'
import { planRescueLayout } from '../rescue-layout.js'
import { DriverError, type InstanceSpec, type RescueSpec } from '../virt-driver.js'
import { buildConfigDrive } from './config-drive.js'
import type { DomainPaths, DomainRecord, RootOverlay } from './domain-store.js'
import { backingFormat, commitOverlay, createOverlay } from './image-cache.js'
import { formatsOf, type DiskFile, type QemuHost } from './qemu-host.js'

function removeRescueFiles(paths: DomainPaths): void {
  fs.rmSync(paths.rescueDisk, { force: true })
  fs.rmSync(paths.rescueConfigDrive, { force: true })
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
export async function rescueDomain(host: QemuHost, spec: RescueSpec, timeoutSeconds: number): Promise<void> {
  const instance = spec.instance
  const paths = host.store.prepare(instance.instanceId)
  const previous = host.store.load(instance.instanceId)
  if (previous?.rescued) throw new DriverError(`domain ${instance.instanceId} is already rescued`, { code: 'LB_ALREADY_RESCUED' })
  await host.shutdown(paths, timeoutSeconds)
  fs.rmSync(paths.state, { force: true })
  await host.prepareDisks(instance, paths)

  const overrides: Record<string, DiskFile> = {}
  const base = await host.images.base(spec.rescueImage.imageId, spec.rescueImage.path, spec.rescueImage.format)
  removeRescueFiles(paths)
  await createOverlay(paths.rescueDisk, base, backingFormat(spec.rescueImage.format))
  overrides.rescue = { path: paths.rescueDisk, format: 'qcow2' }
  const snapshot = await snapshotRoot(host, spec, paths)
  if (snapshot) overrides[snapshot.diskName] = { path: snapshot.overlay.path, format: 'qcow2' }
  const config = instance.disks.find((d) => d.source.kind === 'config-drive')
  if (config && spec.rescueConfigDrive) {
    await buildConfigDrive(spec.rescueConfigDrive, paths.rescueConfigDrive)
    overrides[config.name] = { path: paths.rescueConfigDrive, format: 'raw' }
  }

  const files = host.files(instance, paths, overrides)
  const layout = planRescueLayout(spec, host.machineType, (disk) => files[disk.name]!.path)
  const base0 = previous ?? host.newRecord(instance, layout, files)
  const record: DomainRecord = { ...base0, spec: instance, rescued: true, rescue: { mode: spec.mode, rootOverlay: snapshot?.overlay ?? null }, suspended: false }
  host.store.save(record)
  try {
    await host.start(record, layout, formatsOf(files))
  } catch (error) {
    removeRescueFiles(paths)
    if (snapshot) fs.rmSync(snapshot.overlay.path, { force: true })
    host.store.save({ ...record, rescued: false, rescue: null })
    throw error
  }
}

/**
 * Unrescue: shut the rescue environment down cleanly, delete the rescue
 * overlay and rescue config drive, then either write the rescue's changes
 * into the root (default, as Nova keeps them) or throw them away
 * (`discardChanges`), and boot the normal layout.
 */
export async function unrescueDomain(host: QemuHost, spec: InstanceSpec, options: { discardChanges: boolean; timeoutSeconds: number }): Promise<void> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  await host.shutdown(paths, options.timeoutSeconds)
  removeRescueFiles(paths)
  const overlay = record.rescue?.rootOverlay
  if (overlay && fs.existsSync(overlay.path)) {
    if (!options.discardChanges) await commitOverlay(overlay.path)
    fs.rmSync(overlay.path, { force: true })
  }
  host.store.save({ ...record, rescued: false, rescue: null })
  await host.bootNormal(spec)
}
