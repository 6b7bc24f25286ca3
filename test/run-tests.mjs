#!/usr/bin/env node
// Runs the test tiers: unit and functional in parallel files, then clients and
// e2e one file at a time (they start real clouds, CLIs and QEMU guests).
// `node test/run-tests.mjs [tier…]` runs only the named tiers. The import-rule
// check (scripts/check-imports.mjs) runs first, always.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ensureBuilt } from '../scripts/build.mjs'

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname))
const tiers = [
  { name: 'unit', concurrency: 2 },
  { name: 'functional', concurrency: 2 },
  { name: 'clients', concurrency: 1 },
  { name: 'e2e', concurrency: 1 },
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
for (const tier of selected) {
  const files = findTests(path.join(root, 'test', tier.name))
  if (files.length === 0) continue
  const countsFile = path.join(os.tmpdir(), `lifeboat-test-counts-${process.pid}-${tier.name}.json`)
  console.log(`\n=== ${tier.name} tier: ${files.length} file(s) ===`)
  const result = spawnSync(process.execPath, [
    '--import', 'tsx', '--test', `--test-concurrency=${tier.concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${path.join(root, 'test/helpers/count-reporter.mjs')}`, `--test-reporter-destination=${countsFile}`,
    ...files.map((f) => path.relative(root, f)),
  ], { cwd: root, stdio: 'inherit', env: process.env })
  if (result.status !== 0) exitCode = 1
  try {
    const counts = JSON.parse(fs.readFileSync(countsFile, 'utf8'))
    for (const key of Object.keys(totals)) totals[key] += counts[key]
    fs.rmSync(countsFile)
  } catch {
    exitCode = 1
  }
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped${importCheck.status === 0 ? '' : '; import rules FAILED'}`)
process.exit(exitCode)
