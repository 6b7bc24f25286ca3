import { execFile, spawn } from 'node:child_process'
import { DriverError } from '../virt-driver.js'
import { DriverErrorCode } from '../error-codes.js'

/** What a finished command printed. */
export interface CommandOutput {
  stdout: string
  stderr: string
}

/**
 * Runs a program without a shell and resolves with its output; rejects with a
 * DriverError naming the command and carrying its stderr. Never blocks the
 * event loop (child_process async API).
 */
export function runCommand(file: string, args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        reject(commandFailed(file, args, stderr, error))
        return
      }
      resolve({ stdout, stderr })
    })
  })
}

/** The DriverError of a failed command: the command, its first arguments and the end of its stderr. */
export function commandFailed(file: string, args: readonly string[], stderr: string, error: Error): DriverError {
  const detail = (stderr || error.message).trim().split('\n').slice(-5).join(' | ')
  return new DriverError(`${file} ${args.slice(0, 3).join(' ')}… failed: ${detail}`, { cause: error, code: DriverErrorCode.COMMAND_FAILED })
}

/** Runs a program with `input` on its stdin (e.g. an sfdisk script). */
export function runWithInput(file: string, args: string[], input: string, options: { cwd?: string } = {}): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', (error) => reject(new DriverError(`${file} could not start`, { cause: error, code: DriverErrorCode.COMMAND_FAILED })))
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr })
      else reject(new DriverError(`${file} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`, { code: DriverErrorCode.COMMAND_FAILED }))
    })
    child.stdin.end(input)
  })
}
