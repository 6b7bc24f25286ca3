/**
 * `npm run bench`: prints performance figures next to the goals of issues 5,
 * 6, 7, 11 and 14 (consoles, the dashboard). Nothing here asserts; a section that cannot run says why.
 * `npm run bench -- compute rescue qemu qemu-ssh rest rest-tsx console dashboard scheduling rescue-runs` runs only the named
 * sections (`rest`: the all-in-one at rest as `npm start` runs it;
 * `rest-tsx`: the same from the sources through tsx, the start before issue 11).
 */
import os from 'node:os'
import { runComputeBench } from './compute.js'
import { runRescueBench } from './rescue.js'
import { runQemuRescueBench } from './qemu-rescue.js'
import { runQemuSshBench } from './qemu-ssh.js'
import { runRestBench } from './rest.js'
import { runDashboardBench } from './dashboard.js'
import { runConsoleBench } from './console.js'
import { runSchedulingBench } from './scheduling.js'
import { runRescueRunBench } from './rescue-runs.js'
import { runLiveMigrationBench } from './live-migration.js'

const SECTIONS: Record<string, () => Promise<void>> = {
  compute: () => runComputeBench(),
  rescue: () => runRescueBench(),
  qemu: () => runQemuRescueBench(),
  'qemu-ssh': () => runQemuSshBench(),
  rest: () => runRestBench('compiled'),
  'rest-tsx': () => runRestBench('tsx'),
  dashboard: () => runDashboardBench(),
  console: () => runConsoleBench(),
  scheduling: () => runSchedulingBench(),
  'rescue-runs': () => runRescueRunBench(),
  'live-migration': () => runLiveMigrationBench(),
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const names = wanted.length > 0 ? wanted : Object.keys(SECTIONS)
const unknown = names.filter((n) => !(n in SECTIONS))
if (unknown.length > 0) {
  console.error(`unknown bench section(s): ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`)
  process.exit(2)
}

console.log(`Lifeboat bench — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}`)
console.log('Lifeboat runs in this process (its compute agent in a worker thread); the clients share its thread except where a section says otherwise, so figures include their share.')
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ')
console.log(`load average at start: ${load()} (other work on this machine inflates every figure)`)
const started = performance.now()
let failed = false
for (const name of names) {
  const t0 = performance.now()
  try {
    await SECTIONS[name]!()
  } catch (error) {
    failed = true
    console.log(`   ${name}: could not run: ${error instanceof Error ? error.message : String(error)}`)
  }
  console.log(`   (${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
}
console.log(`\nload average at end: ${load()}`)
console.log(`bench done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
process.exit(failed ? 1 : 0)
