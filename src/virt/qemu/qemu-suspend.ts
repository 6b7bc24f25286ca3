import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { DriverError, type InstanceSpec } from '../virt-driver.js'
import type { QemuHost } from './qemu-host.js'
import { runningPid } from './qemu-process.js'
import { withQmp } from './qmp-client.js'
import { DriverErrorCode } from '../error-codes.js'

const MIGRATION_TIMEOUT_MS = 5 * 60_000

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/**
 * Suspend = libvirt's managed save: the guest is stopped, its whole state
 * (RAM and devices) is migrated into a file, and QEMU exits, so a suspended
 * instance uses no CPU and no memory. The record keeps the exact command
 * line, which resume needs to load the state into the same device model.
 */
export async function suspendDomain(host: QemuHost, instanceId: string): Promise<void> {
  const record = host.record(instanceId)
  const paths = host.store.paths(instanceId)
  if (runningPid(paths) === null) throw new DriverError(`domain ${instanceId} is not running`, { code: DriverErrorCode.DOMAIN_NOT_RUNNING })
  fs.rmSync(paths.state, { force: true })
  await withQmp(paths.qmpSocket, async (qmp) => {
    await qmp.execute('stop')
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 8 * 1024 ** 3 })
    await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(paths.state)}` })
    const deadline = Date.now() + MIGRATION_TIMEOUT_MS
    for (;;) {
      const { status, 'error-desc': error } = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate')
      if (status === 'completed') return
      if (status === 'failed' || status === 'cancelled') {
        await qmp.execute('cont').catch((cont: unknown) => host.log.warn({ err: cont, server: instanceId }, 'saving the guest state failed and the guest could not be continued'))
        throw new DriverError(`saving the guest state failed: ${error ?? status}`, { code: DriverErrorCode.SUSPEND_FAILED })
      }
      if (Date.now() > deadline) throw new DriverError('saving the guest state timed out', { code: DriverErrorCode.SUSPEND_FAILED })
      await sleep(50)
    }
  })
  record.suspended = true
  host.store.save(record)
  await host.hardStop(paths)
}

/**
 * Loads the saved state into a new QEMU started with the same command line
 * (`-S -incoming`), continues it, and removes the state file. A domain with
 * no saved state is simply booted (`coldBoot`).
 */
export async function resumeDomain(host: QemuHost, spec: InstanceSpec, coldBoot: () => Promise<void>): Promise<void> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  if (runningPid(paths) !== null) {
    await withQmp(paths.qmpSocket, (qmp) => qmp.execute('cont'))
    return
  }
  if (!record.suspended || !fs.existsSync(paths.state)) {
    await coldBoot()
    return
  }
  await host.start(record, record.layout, record.formats, `exec:cat ${shellQuote(paths.state)}`)
  await host.waitForMonitor(paths)
  const deadline = Date.now() + MIGRATION_TIMEOUT_MS
  for (;;) {
    if (runningPid(paths) === null) throw new DriverError('QEMU exited while loading the saved state', { code: DriverErrorCode.RESUME_FAILED })
    const status = await host.status(paths)
    if (status !== 'inmigrate') break
    if (Date.now() > deadline) throw new DriverError('loading the saved state timed out', { code: DriverErrorCode.RESUME_FAILED })
    await sleep(50)
  }
  await withQmp(paths.qmpSocket, (qmp) => qmp.execute('cont'))
  fs.rmSync(paths.state, { force: true })
  host.store.save({ ...host.record(spec.instanceId), suspended: false })
}
