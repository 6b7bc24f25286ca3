import fs from 'node:fs'
import type { InstanceSpec } from '../virt-driver.js'
import type { QemuHost } from './qemu-host.js'
import { growDisk } from './image-cache.js'

const GIB = 1024 ** 3

/** The kept copy of a local disk while a resize is unconfirmed. */
function backupPath(diskPath: string): string {
  return diskPath.replace(/\.qcow2$/, '.resize-backup.qcow2')
}

/**
 * Resize on this host (Nova's libvirt `migrate_disk_and_power_off` then
 * `finish_migration`, with source = destination): shut the guest down, keep
 * a copy of each local disk as it is (Nova keeps the source's `_resize`
 * folder until confirm), grow the root overlay to the new flavor's size
 * (never shrink: the control plane refuses a smaller root), and boot the new
 * spec (vCPUs, RAM) when the server was running.
 *
 * Why a plain copy rather than a qcow2 internal snapshot: each local disk is
 * an overlay over the shared, read-only base image (Nova's `_base`), so the
 * copy holds only what the guest wrote; revert is then a rename, needs no
 * qemu-img, and leaves nothing inside the live disk to clean up at confirm.
 *
 * A retry after an agent crash finds the copies (the record lists them) and
 * does not copy again: the kept disks stay the ones from before the resize.
 */
export async function resizeDomain(host: QemuHost, spec: InstanceSpec, options: { timeoutSeconds: number; powerOn: boolean }): Promise<void> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  await host.shutdown(paths, options.timeoutSeconds)
  if (!record.resizeBackup) {
    const files: Record<string, string> = {}
    for (const disk of record.spec.disks) {
      if (disk.source.kind !== 'image' && disk.source.kind !== 'blank') continue
      const file = host.diskFile(paths, disk).path
      if (!fs.existsSync(file)) continue
      await fs.promises.copyFile(file, `${backupPath(file)}.tmp`)
      await fs.promises.rename(`${backupPath(file)}.tmp`, backupPath(file))
      files[disk.name] = backupPath(file)
    }
    host.store.save({ ...record, resizeBackup: { spec: record.spec, files } })
  }
  const root = spec.disks.find((d) => d.role === 'root' && d.source.kind === 'image')
  if (root && root.source.kind === 'image' && root.source.sizeGb > 0) {
    const file = host.diskFile(paths, root).path
    if (fs.existsSync(file)) await growDisk(file, root.source.sizeGb * GIB)
  }
  const current = host.record(spec.instanceId)
  host.store.save({ ...current, spec })
  if (options.powerOn) await host.bootNormal(spec)
}

/** Confirm (Nova's `confirm_migration`): the kept disks go. Idempotent. */
export function confirmResizeDomain(host: QemuHost, instanceId: string): void {
  const record = host.record(instanceId)
  for (const file of Object.values(record.resizeBackup?.files ?? {})) fs.rmSync(file, { force: true })
  host.store.save({ ...record, resizeBackup: null })
}

/**
 * Revert (Nova's `finish_revert_migration`): shut the resized guest down,
 * put each kept disk back in place of its resized one, drop local disks the
 * new flavor added, and boot the old spec when the server was running. A
 * retry after a crash renames only the copies still there.
 */
export async function revertResizeDomain(host: QemuHost, spec: InstanceSpec, options: { timeoutSeconds: number; powerOn: boolean }): Promise<void> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  await host.shutdown(paths, options.timeoutSeconds)
  const backup = record.resizeBackup
  if (backup) {
    for (const disk of record.spec.disks) {
      if ((disk.source.kind === 'image' || disk.source.kind === 'blank') && !backup.files[disk.name] && !backup.spec.disks.some((d) => d.name === disk.name)) {
        fs.rmSync(host.diskFile(paths, disk).path, { force: true })
      }
    }
    for (const [name, file] of Object.entries(backup.files)) {
      if (fs.existsSync(file)) await fs.promises.rename(file, paths.disk(name))
    }
  }
  host.store.save({ ...host.record(spec.instanceId), spec, resizeBackup: null })
  if (options.powerOn) await host.bootNormal(spec)
}
