/**
 * Live migration of a rescued domain (beyond Nova, which refuses it): the
 * destination builds the rescue layout (rescue disk, original disks at their
 * stable addresses, the rescue config drive, the root's pre-rescue snapshot)
 * and the source copies every local layer into it, so that unrescue (with or
 * without `discardChanges`) works on the destination.
 *
 * The root of a rescue is a chain: the rescue writes into an overlay whose
 * backing file is the root as it was (`RootOverlay`). A mirror copies only the
 * top of a chain, so the pre-rescue root (read-only while rescued) is copied
 * first with `blockdev-backup` (sync `top`: the base image is the same on
 * both hosts), then the top is mirrored like any other disk. On the
 * destination both layers are served by nodes of their own (not the guest's
 * drive, which stays inactive until the RAM is in and then reads the files
 * afresh: a node activated before the copy would keep the empty layer's
 * tables in memory).
 */
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { planRescueLayout } from '../rescue-layout.js'
import { DriverError, type DiskSpec, type DomainLayout, type IncomingMigration, type InstanceSpec, type RescueSpec } from '../virt-driver.js'
import { buildConfigDrive } from './config-drive.js'
import type { DomainPaths, DomainRecord, RootOverlay } from './domain-store.js'
import { backingFormat, createOverlay } from './image-cache.js'
import type { DiskFile, QemuHost } from './qemu-host.js'
import type { QmpClient } from './qmp-client.js'
import { DriverErrorCode } from '../error-codes.js'

/** The export key of the rescued root's top layer (the rescue's writes). */
export const ROOT_TOP_EXPORT = '@root-top'
/** The export key of the pre-rescue root (the top layer's backing file), when it is a local disk. */
export const ROOT_BACKING_EXPORT = '@root-backing'

const DEST_TOP_NODE = 'lm-root-top'
const DEST_BACKING_NODE = 'lm-root-backing'
const SRC_BACKING_NODE = 'lm-src-backing'
const SRC_TARGET_NODE = 'lm-dst-backing'
const BACKUP_JOB = 'lm-root-backing'
const BACKUP_TIMEOUT_MS = 10 * 60_000
const POLL_MS = 100

/** One disk the source sends: the device's name in the layout and the key of the destination's export. */
export interface MirroredDisk { name: string; exportKey: string }

/** The disks a block migration copies: the local ones (a volume stays where it is and is reconnected by the destination). */
export function localDisks(spec: InstanceSpec): DiskSpec[] {
  return spec.disks.filter((d) => d.source.kind === 'image' || d.source.kind === 'blank')
}

/**
 * The disks a live migration mirrors, as the domain runs now: the local ones;
 * rescued, also the rescue disk, and the root's top layer under its own key
 * (a volume-backed root too: its rescue overlay is a local file).
 */
export function mirroredDisks(spec: InstanceSpec, rescue: DomainRecord['rescue'] | null): MirroredDisk[] {
  const root = spec.disks.find((d) => d.role === 'root')
  const overlay = rescue?.rootOverlay && root ? root.name : null
  const disks = localDisks(spec).filter((d) => d.name !== overlay).map((d) => ({ name: d.name, exportKey: d.name }))
  if (overlay) disks.push({ name: overlay, exportKey: ROOT_TOP_EXPORT })
  if (rescue) disks.push({ name: 'rescue', exportKey: 'rescue' })
  return disks
}

/**
 * The destination's rescued domain before it starts: the local disks made as
 * on a spawn (by the caller), the rescue disk (an overlay of the rescue
 * image), the rescue config drive in place of the original one, and an empty
 * pre-rescue snapshot layer over the root; the record says rescued.
 */
export async function rescuedIncomingDomain(host: QemuHost, rescue: RescueSpec, paths: DomainPaths): Promise<{ layout: DomainLayout; files: Record<string, DiskFile>; record: DomainRecord }> {
  const instance = rescue.instance
  for (const file of [paths.rescueDisk, paths.rescueConfigDrive, paths.rescueRootOverlay]) fs.rmSync(file, { force: true })
  const base = await host.images.base(rescue.rescueImage.imageId, rescue.rescueImage.path, rescue.rescueImage.format)
  await createOverlay(paths.rescueDisk, base, backingFormat(rescue.rescueImage.format))
  const overrides: Record<string, DiskFile> = { rescue: { path: paths.rescueDisk, format: 'qcow2' } }
  const config = instance.disks.find((d) => d.source.kind === 'config-drive')
  if (config && rescue.rescueConfigDrive) {
    await buildConfigDrive(rescue.rescueConfigDrive, paths.rescueConfigDrive)
    overrides[config.name] = { path: paths.rescueConfigDrive, format: 'raw' }
  }
  let rootOverlay: RootOverlay | null = null
  const root = instance.disks.find((d) => d.role === 'root')
  if (rescue.snapshotRoot && root) {
    const file = host.diskFile(paths, root)
    await createOverlay(paths.rescueRootOverlay, file.path, file.format)
    rootOverlay = { path: paths.rescueRootOverlay, backing: file.path, backingFormat: file.format }
    overrides[root.name] = { path: paths.rescueRootOverlay, format: 'qcow2' }
  }
  const files = host.files(instance, paths, overrides)
  const layout = planRescueLayout(rescue, host.machineType, (disk) => files[disk.name]!.path)
  const record: DomainRecord = { ...host.newRecord(instance, layout, files), rescued: true, rescue: { mode: rescue.mode, rootOverlay } }
  return { layout, files, record }
}

/**
 * The destination serves the rescued root's layers through nodes of their
 * own (file locking off: the guest's inactive drive has the same files open):
 * the pre-rescue root when it is local, and the top layer over it.
 */
export async function exportRescuedRoot(qmp: QmpClient, spec: InstanceSpec, overlay: RootOverlay): Promise<Record<string, string>> {
  const root = spec.disks.find((d) => d.role === 'root')
  const exports: Record<string, string> = {}
  const file = (filename: string) => ({ driver: 'file', filename, locking: 'off' })
  let backing: string | undefined
  if (root && root.source.kind === 'image') {
    await qmp.execute('blockdev-add', { driver: 'qcow2', 'node-name': DEST_BACKING_NODE, 'read-only': false, file: file(overlay.backing) })
    await qmp.execute('nbd-server-add', { device: DEST_BACKING_NODE, writable: true, name: DEST_BACKING_NODE })
    exports[ROOT_BACKING_EXPORT] = DEST_BACKING_NODE
    backing = DEST_BACKING_NODE
  }
  await qmp.execute('blockdev-add', { driver: 'qcow2', 'node-name': DEST_TOP_NODE, 'read-only': false, file: file(overlay.path), ...(backing ? { backing } : {}) })
  await qmp.execute('nbd-server-add', { device: DEST_TOP_NODE, writable: true, name: DEST_TOP_NODE })
  exports[ROOT_TOP_EXPORT] = DEST_TOP_NODE
  return exports
}

/** The destination's last step for a rescued root: its serving nodes go (after `nbd-server-stop`). */
export async function dropRescuedRootNodes(qmp: QmpClient): Promise<void> {
  for (const node of [DEST_TOP_NODE, DEST_BACKING_NODE]) await qmp.execute('blockdev-del', { 'node-name': node }).catch(() => undefined)
}

interface JobInfo { id: string; status: string; error?: string }

/**
 * The source copies the pre-rescue root (read-only while rescued) into the
 * destination's export before any mirror starts: `blockdev-backup` sync `top`
 * from a read-only node of the file to an NBD node, waited for to the end;
 * deleting the NBD node flushes the destination's copy. `nbdSocket` is the
 * unix socket the source's agent pipes to the destination's NBD port.
 */
export async function copyRootBacking(qmp: QmpClient, overlay: RootOverlay, target: IncomingMigration, nbdSocket: string): Promise<void> {
  const exportName = target.exports[ROOT_BACKING_EXPORT]
  if (!exportName) return
  const failed = (message: string) => new DriverError(message, { code: DriverErrorCode.LIVE_MIGRATION_FAILED })
  await qmp.execute('blockdev-add', { driver: overlay.backingFormat, 'node-name': SRC_BACKING_NODE, 'read-only': true, file: { driver: 'file', filename: overlay.backing } })
  try {
    await qmp.execute('blockdev-add', {
      driver: 'raw', 'node-name': SRC_TARGET_NODE,
      // The source agent's relay to the destination's NBD port (`stream-relay.ts`): a nat QEMU reaches no host directly.
      file: { driver: 'nbd', server: { type: 'unix', path: nbdSocket }, export: exportName },
    })
    await qmp.execute('blockdev-backup', { 'job-id': BACKUP_JOB, device: SRC_BACKING_NODE, target: SRC_TARGET_NODE, sync: 'top', 'auto-dismiss': false })
    const deadline = Date.now() + BACKUP_TIMEOUT_MS
    for (;;) {
      const job = (await qmp.execute<JobInfo[]>('query-jobs')).find((j) => j.id === BACKUP_JOB)
      if (!job) throw failed('the copy of the pre-rescue root disappeared')
      if (job.status === 'concluded') {
        await qmp.execute('job-dismiss', { id: BACKUP_JOB })
        if (job.error) throw failed(`the copy of the pre-rescue root failed: ${job.error}`)
        return
      }
      if (Date.now() > deadline) {
        await qmp.execute('block-job-cancel', { device: BACKUP_JOB, force: true }).catch(() => undefined)
        throw failed('the copy of the pre-rescue root did not end in time')
      }
      await sleep(POLL_MS)
    }
  } finally {
    await qmp.execute('job-dismiss', { id: BACKUP_JOB }).catch(() => undefined)
    for (const node of [SRC_TARGET_NODE, SRC_BACKING_NODE]) await qmp.execute('blockdev-del', { 'node-name': node }).catch(() => undefined)
  }
}
