import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { findHostKernels } from './guest-image/kernels.js'
import { QEMU_BINARY } from './qemu-process.js'

/** What the probe decided, and why (the agent logs it at start). */
export interface AccelerationChoice {
  acceleration: 'tcg' | 'kvm'
  reason: string
}

const PROBE_TIMEOUT_MS = 20_000
// The kernel got as far as looking for its root filesystem: it ran, so the accelerator works.
const BOOTED = /VFS: Unable to mount root fs|Kernel panic - not syncing/

/**
 * Boots a host kernel under KVM with no root filesystem and waits for it to
 * reach the "no root" panic. An openable /dev/kvm is not enough: on hosts
 * with a software KVM (PVM) guests crawl or die with emulation failures.
 */
function probeBoot(kernel: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(QEMU_BINARY, ['-accel', 'kvm', '-M', 'pc', '-m', '128', '-nodefaults', '-no-user-config',
      '-display', 'none', '-serial', 'stdio', '-no-reboot', '-kernel', kernel, '-append', 'console=ttyS0 panic=-1'],
    { timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
    (_error, stdout) => resolve(BOOTED.test(stdout)))
  })
}

/**
 * TCG unless `tryKvm` is set, /dev/kvm exists and a real probe boot under KVM
 * succeeds. The answer is cached in `cacheFile` per QEMU and kernel, so the
 * probe runs once per host.
 */
export async function chooseAcceleration(options: { cacheFile: string; tryKvm: boolean; qemuVersion: string }): Promise<AccelerationChoice> {
  if (!options.tryKvm) return { acceleration: 'tcg', reason: 'TCG (set LIFEBOAT_QEMU_TRY_KVM=1 to probe KVM)' }
  if (!fs.existsSync('/dev/kvm')) return { acceleration: 'tcg', reason: 'TCG (no /dev/kvm)' }
  const kernels = findHostKernels()
  const kernel = kernels.cloud ?? kernels.generic
  if (!kernel) return { acceleration: 'tcg', reason: 'TCG (no kernel in /boot to probe KVM with)' }
  const key = `${options.qemuVersion} ${kernel.version}`
  try {
    const cached = JSON.parse(fs.readFileSync(options.cacheFile, 'utf8')) as { key: string; choice: AccelerationChoice }
    if (cached.key === key) return cached.choice
  } catch {
    // no cache yet
  }
  const works = await probeBoot(kernel.vmlinuz)
  const choice: AccelerationChoice = works
    ? { acceleration: 'kvm', reason: 'KVM (a probe boot succeeded)' }
    : { acceleration: 'tcg', reason: 'TCG (/dev/kvm exists but a probe boot under KVM failed)' }
  fs.mkdirSync(path.dirname(options.cacheFile), { recursive: true })
  fs.writeFileSync(options.cacheFile, `${JSON.stringify({ key, choice })}\n`)
  return choice
}
