import fs from 'node:fs'
import path from 'node:path'
import type { AgentConfig } from '../config.js'
import { SILENT_DRIVER_LOG, type DriverLog, type VirtDriver } from './virt-driver.js'
import { FakeDriver } from './fake/fake-driver.js'

/** Whether an executable is on PATH. */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** The driver an agent runs: `fake`, `qemu`, or `auto` (QEMU when `qemu-system-x86_64` is installed); `log` hears its swallowed clean-up failures. */
export async function createDriver(config: AgentConfig & { shutdownTimeoutSeconds: number }, stateDir: string, log: DriverLog = SILENT_DRIVER_LOG): Promise<{ driver: VirtDriver; reason: string }> {
  const wantsQemu = config.driver === 'qemu' || (config.driver === 'auto' && onPath('qemu-system-x86_64'))
  if (wantsQemu) {
    // Loaded lazily: hosts with the fake driver never load QEMU code.
    const { QemuDriver } = await import('./qemu/qemu-driver.js')
    const driver = new QemuDriver({ stateDir: path.join(stateDir, 'qemu'), machineType: config.machineType, shutdownTimeoutSeconds: config.shutdownTimeoutSeconds, log, guestEgress: config.guestEgress })
    return { driver, reason: config.driver === 'qemu' ? 'QEMU driver (chosen)' : 'QEMU driver (qemu-system-x86_64 found)' }
  }
  const driver = new FakeDriver({
    stateFile: path.join(stateDir, 'fake-domains.json'), delayMs: config.fakeDelayMs, supportsBfvRescue: config.fakeSupportsBfvRescue,
    machineType: config.machineType, vcpus: config.vcpus, memoryMb: config.memoryMb, diskGb: config.diskGb,
    failOperations: config.fakeFailOperations,
  })
  return { driver, reason: config.driver === 'fake' ? 'fake driver (chosen)' : 'fake driver (qemu-system-x86_64 not found; install qemu-system-x86 for real guests)' }
}
