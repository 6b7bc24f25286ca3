#!/usr/bin/env node
// `npm run build` (and `prepare`, which `npm ci` runs): compiles src/ into dist/
// with tsconfig.build.json and bundles the browser pages of web/ into dist/web/. `bin/lifeboat.mjs` calls `ensureBuilt()` on every
// start, which builds only when dist/ is missing or older than the sources, so
// `npm ci && npm start` keeps working after a `git pull` too.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildWeb } from './build-web.mjs'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const dist = path.join(root, 'dist')
// Its mtime is when the last build started: any input changed later makes dist/ stale.
const stamp = path.join(dist, '.built')
const lock = path.join(root, '.dist-build.lock')
const inputs = ['src', 'web', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => path.join(root, p))
const STALE_LOCK_MS = 5 * 60 * 1000

/** Newest mtime under `file` (folders count too: a deleted source changes its folder). */
function newest(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false })
  if (!stat) return 0
  if (!stat.isDirectory()) return stat.mtimeMs
  let latest = stat.mtimeMs
  for (const entry of fs.readdirSync(file)) latest = Math.max(latest, newest(path.join(file, entry)))
  return latest
}

/** True when dist/ is missing or older than one of its inputs (false without sources: nothing to build from). */
export function buildIsStale() {
  if (!fs.existsSync(path.join(root, 'src'))) return false
  const built = fs.statSync(stamp, { throwIfNoEntry: false })
  if (!built) return true
  return inputs.some((input) => newest(input) > built.mtimeMs)
}

/** Copies the data files modules read beside themselves (`*.yaml`, e.g. the diagnosis rules) from src/ into dist/. */
function copyData(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    if (entry.isDirectory()) copyData(source, path.join(to, entry.name))
    else if (entry.name.endsWith('.yaml')) {
      fs.mkdirSync(to, { recursive: true })
      fs.copyFileSync(source, path.join(to, entry.name))
    }
  }
}

/** Compiles src/ and web/ into a fresh dist/ (outputs of deleted sources go too); throws when tsc or esbuild fails. */
export async function build() {
  const started = new Date()
  let tsc
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  } catch {
    throw new Error('building dist/ needs the dev dependencies (typescript): run `npm ci`')
  }
  fs.rmSync(dist, { recursive: true, force: true })
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) throw new Error(`tsc failed (exit ${result.status ?? result.signal}): dist/ is not usable`)
  copyData(path.join(root, 'src'), dist)
  await buildWeb(path.join(dist, 'web'))
  fs.writeFileSync(stamp, `${started.toISOString()}\n`)
  fs.utimesSync(stamp, started, started)
}

/**
 * Builds when stale, once across processes started together (tests start
 * several): a lock folder, and the others wait for it and look again.
 */
export async function ensureBuilt() {
  while (buildIsStale()) {
    try {
      fs.mkdirSync(lock)
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      const held = fs.statSync(lock, { throwIfNoEntry: false })
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) fs.rmSync(lock, { recursive: true, force: true })
      await new Promise((resolve) => setTimeout(resolve, 200))
      continue
    }
    try {
      if (!buildIsStale()) return
      process.stderr.write('lifeboat: building dist/ from src/ (dist/ is missing or older than the sources)…\n')
      await build()
    } finally {
      fs.rmSync(lock, { recursive: true, force: true })
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await build()
  } catch (error) {
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
}
