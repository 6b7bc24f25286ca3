import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { section, note } from './lib/report.js'

const ROOT = path.resolve(import.meta.dirname, '..')

/** Why the QEMU rescue bench cannot run here, or null when it can. */
export function qemuSkipReason(): string | null {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' })
  } catch {
    return 'qemu-system-x86_64 is not installed'
  }
  if (!fs.existsSync(path.join(ROOT, 'src/virt/qemu/qemu-driver.ts'))) return 'the QEMU driver (src/virt/qemu/qemu-driver.ts) has not landed yet'
  const builderDir = path.join(ROOT, 'src/virt/qemu/guest-image')
  if (!fs.existsSync(builderDir) || fs.readdirSync(builderDir).length === 0) return 'the guest image builder (src/virt/qemu/guest-image/) has not landed yet'
  return null
}

/**
 * Issue 7: rescue of a running guest on the QEMU driver, split into
 * shutdown, disk preparation, QEMU start and first console line of the
 * rescue image; the same for unrescue. Prints why when it cannot run.
 */
export async function runQemuRescueBench(): Promise<void> {
  section('QEMU rescue (issue 7) — real guest under TCG')
  const skip = qemuSkipReason()
  if (skip) {
    note(`skipped: ${skip}`)
    return
  }
  note('skipped: the QEMU driver exists but this bench is not wired to it yet')
}
