import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { DriverError } from '../virt-driver.js'
import { runCommand } from './run-command.js'
import { DriverErrorCode } from '../error-codes.js'

/** The emulator Lifeboat runs. */
export const QEMU_BINARY = 'qemu-system-x86_64'

/** The pid in a pidfile, or null. */
export function readPid(pidFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/**
 * Whether `pid` is a live QEMU of ours: the process exists, is not a zombie,
 * and its command line names our QMP socket (after a host reboot the pid may
 * belong to anything).
 */
export function isOurQemu(pid: number, qmpSocket: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return cmdline.includes(qmpSocket)
  } catch {
    return false
  }
}

/** The pid of the domain's running QEMU, or null when it is not running. */
export function runningPid(paths: { pidFile: string; qmpSocket: string }): number | null {
  const pid = readPid(paths.pidFile)
  return pid !== null && isOurQemu(pid, paths.qmpSocket) ? pid : null
}

/**
 * Starts a daemonized QEMU and resolves with its pid once it has daemonized
 * (QEMU's parent exits after the devices are set up, so a bad command line
 * fails here with QEMU's own message).
 */
export async function startQemu(args: string[], paths: { pidFile: string; qmpSocket: string }): Promise<number> {
  fs.rmSync(paths.pidFile, { force: true })
  fs.rmSync(paths.qmpSocket, { force: true })
  await runCommand(QEMU_BINARY, args, { timeoutMs: 60_000 })
  const pid = readPid(paths.pidFile)
  if (pid === null) throw new DriverError('QEMU started but wrote no pidfile', { code: DriverErrorCode.QEMU_START_FAILED })
  return pid
}

/** Polls until the process is gone; true if it went within `timeoutMs`. */
export async function waitForExit(pid: number, qmpSocket: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isOurQemu(pid, qmpSocket)) {
    if (Date.now() >= deadline) return false
    await sleep(25)
  }
  return true
}

/** Ends a QEMU process: SIGTERM (QEMU exits like `quit`), then SIGKILL if it lingers. */
export async function killQemu(pid: number, qmpSocket: string): Promise<void> {
  if (!isOurQemu(pid, qmpSocket)) return
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return
  }
  if (await waitForExit(pid, qmpSocket, 5000)) return
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return
  }
  await waitForExit(pid, qmpSocket, 5000)
}

/** `qemu-system-x86_64 --version` as text and as Nova's integer (major*1e6 + minor*1e3 + micro). */
export async function qemuVersion(): Promise<{ text: string; number: number }> {
  const { stdout } = await runCommand(QEMU_BINARY, ['--version'])
  const match = /version (\d+)\.(\d+)\.(\d+)/.exec(stdout)
  if (!match) return { text: stdout.split('\n')[0] ?? '', number: 0 }
  const [major, minor, micro] = match.slice(1).map(Number) as [number, number, number]
  return { text: `${major}.${minor}.${micro}`, number: major * 1_000_000 + minor * 1000 + micro }
}
