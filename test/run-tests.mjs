#!/usr/bin/env node
// Runs the test tiers: unit, then functional (two files at a time each), then
// clients and e2e side by side, each one file at a time (they start real
// clouds, CLIs and QEMU guests).
// `node test/run-tests.mjs [tier…]` runs only the named tiers. The import-rule
// check (scripts/check-imports.mjs) runs first, always.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { ensureBuilt } from '../scripts/build.mjs'

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname))
const tiers = [
  { name: 'unit', concurrency: 2, stage: 1 },
  { name: 'functional', concurrency: 2, stage: 2 },
  { name: 'clients', concurrency: 1, stage: 3 },
  { name: 'e2e', concurrency: 1, stage: 3 },
]
const wanted = process.argv.slice(2)
const selected = tiers.filter((t) => wanted.length === 0 || wanted.includes(t.name))

function findTests(dir) {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return findTests(full)
    return entry.name.endsWith('.test.ts') ? [full] : []
  }).sort()
}

const totals = { passed: 0, failed: 0, skipped: 0 }
let exitCode = 0

// The layer rule over the import graph of src/ first: a violation fails the run.
console.log('=== import rules (scripts/check-imports.mjs) ===')
const importCheck = spawnSync(process.execPath, [path.join(root, 'scripts/check-imports.mjs')], { cwd: root, stdio: 'inherit' })
if (importCheck.status !== 0) exitCode = 1
// dist/ (the compiled service and the browser pages of web/) once, before any tier: tests that serve the
// pages or start `lifeboat` then never rebuild it under each other.
await ensureBuilt()
/** Runs one tier's files under node:test; resolves with its exit status. `prefix` tags each output line (tiers side by side). */
function runTier(tier, files, prefix) {
  const countsFile = path.join(os.tmpdir(), `lifeboat-test-counts-${process.pid}-${tier.name}.json`)
  const child = spawn(process.execPath, [
    '--import', 'tsx', '--test', `--test-concurrency=${tier.concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${path.join(root, 'test/helpers/count-reporter.mjs')}`, `--test-reporter-destination=${countsFile}`,
    ...files.map((f) => path.relative(root, f)),
  ], { cwd: root, stdio: ['ignore', prefix ? 'pipe' : 'inherit', prefix ? 'pipe' : 'inherit'], env: process.env })
  if (prefix) {
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix} ${line}\n`))
    }
  }
  return new Promise((resolve) => child.on('close', (status) => {
    try {
      const counts = JSON.parse(fs.readFileSync(countsFile, 'utf8'))
      for (const key of Object.keys(totals)) totals[key] += counts[key]
      fs.rmSync(countsFile)
    } catch {
      status = 1
    }
    resolve(status)
  }))
}

// Tiers of one `stage` run side by side: clients (Python CLIs, Tempest, mostly the fake driver) and e2e (QEMU guests
// under TCG) each take one file at a time, so together they keep both cores of a CI machine busy.
const stages = [...new Set(selected.map((t) => t.stage))]
for (const stage of stages) {
  const batch = selected.filter((t) => t.stage === stage).map((tier) => ({ tier, files: findTests(path.join(root, 'test', tier.name)) })).filter((b) => b.files.length > 0)
  const together = batch.length > 1
  for (const { tier, files } of batch) console.log(`\n=== ${tier.name} tier: ${files.length} file(s)${together ? ` (beside ${batch.filter((b) => b.tier !== tier).map((b) => b.tier.name).join(', ')}; its lines start with [${tier.name}])` : ''} ===`)
  const statuses = await Promise.all(batch.map(({ tier, files }) => runTier(tier, files, together ? `[${tier.name}]` : '')))
  if (statuses.some((status) => status !== 0)) exitCode = 1
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped${importCheck.status === 0 ? '' : '; import rules FAILED'}`)
process.exit(exitCode)
