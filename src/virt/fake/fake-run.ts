/**
 * The fake driver's rescue run: it runs nothing. A script's comment lines are
 * its test hooks (docs/rescue-runs.md, "Fake driver hooks"):
 *
 * - `# fake-exit: N` — the run exits with N (default 0);
 * - `# fake-sleep: S` — the run takes S seconds (more than its timeout: it is
 *   stopped at the timeout, as the wrapper would, and exits 143, timed out);
 * - `# fake-output: TEXT` — a line of output (repeatable; default
 *   `[fake] ran N lines, exit X`);
 * - `# fake-hang` — no result frame ever comes (the agent's deadline ends it).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { RescueRunOutcome, RescueRunSpec } from '../virt-driver.js'

/** The hooks a script asks for. */
interface FakeRunHooks {
  exit: number
  sleepSeconds: number
  output: string[]
  hang: boolean
}

function hooksOf(script: string): FakeRunHooks {
  const hooks: FakeRunHooks = { exit: 0, sleepSeconds: 0, output: [], hang: false }
  for (const line of script.split('\n')) {
    const match = /^#\s*fake-(exit|sleep|output|hang)\s*:?\s*(.*)$/.exec(line.trim())
    if (!match) continue
    const value = match[2]!
    if (match[1] === 'exit') hooks.exit = Number.parseInt(value, 10) & 255
    if (match[1] === 'sleep') hooks.sleepSeconds = Math.max(0, Number(value) || 0)
    if (match[1] === 'output') hooks.output.push(value)
    if (match[1] === 'hang') hooks.hang = true
  }
  return hooks
}

/** Simulates the run's wrapper; null when the hooks say no frame comes before `deadline`. */
export async function simulateRescueRun(run: RescueRunSpec, deadline: number): Promise<RescueRunOutcome | null> {
  const hooks = hooksOf(run.script)
  if (hooks.hang) {
    await sleep(Math.max(0, deadline - Date.now()))
    return null
  }
  const timedOut = hooks.sleepSeconds > run.timeoutSeconds
  const seconds = Math.min(hooks.sleepSeconds, run.timeoutSeconds)
  const waitMs = seconds * 1000
  if (Date.now() + waitMs > deadline) {
    await sleep(Math.max(0, deadline - Date.now()))
    return null
  }
  await (waitMs > 0 ? sleep(waitMs) : new Promise((resolve) => setImmediate(resolve)))
  const exitStatus = timedOut ? 143 : hooks.exit
  const lines = hooks.output.length > 0 ? hooks.output : [`[fake] ran ${run.script.split('\n').length} lines, exit ${exitStatus}`]
  return { exitStatus, output: `${lines.join('\n')}\n`, outputTruncated: false, durationMs: Math.round(waitMs), timedOut }
}
