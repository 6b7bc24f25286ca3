#!/usr/bin/env node
// The layer rule of docs/architecture.md, checked over the import graph of src/
// (type-only and dynamic imports count too). Run by `npm test` first; exits 1
// on any violation.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/**
 * Which top-level folder of src/ may not import which: the agent and the virt
 * drivers know nothing of the control plane; services know neither the HTTP
 * layer nor the agent; routes reach the database only through services; the
 * database layer imports nothing above it; the agent-API contract and the pure
 * helpers of util/ are leaves that both sides import.
 */
const APP_LAYERS = ['agent', 'agent-api', 'api', 'cli', 'db', 'services', 'util', 'virt']
export const FORBIDDEN = {
  agent: ['services', 'api', 'db'],
  virt: ['services', 'api', 'agent', 'db'],
  services: ['api', 'agent'],
  api: ['db'],
  db: ['api', 'services', 'agent', 'virt', 'cli'],
  'agent-api': APP_LAYERS.filter((l) => l !== 'agent-api'),
  util: APP_LAYERS.filter((l) => l !== 'util'),
}

/** Packages a layer may not import either: the database drivers, for the routes. */
export const FORBIDDEN_PACKAGES = {
  api: ['kysely', 'pg', 'better-sqlite3'],
}

/** The top-level folder of a path under src/ ('' for a file directly in src/). */
export function layerOf(file) {
  const parts = file.split('/')
  return parts.length > 1 ? parts[0] : ''
}

/** The rule `from` importing `to` breaks (both under src/), or null. */
export function ruleBroken(from, to) {
  const forbidden = FORBIDDEN[layerOf(from)]
  const target = layerOf(to)
  return forbidden?.includes(target) ? `src/${layerOf(from)}/ must not import src/${target}/` : null
}

/** Specifiers of one module's imports, exports and dynamic imports (type-only too). */
export function importsOf(text) {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName)
}

/** The package a bare specifier names ('@scope/name' or 'name'), or null for a relative or node: one. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return null
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/**
 * Every broken rule in `sources` (path under src/ → text): sorted
 * `{ from, to, rule }`, `to` being a path under src/ (resolved relative to
 * `from`, `.js` meaning its `.ts` source) or a package name.
 */
export function findViolations(sources) {
  const found = []
  for (const [from, text] of Object.entries(sources)) {
    for (const specifier of importsOf(text)) {
      const pkg = packageOf(specifier)
      if (pkg !== null) {
        if (FORBIDDEN_PACKAGES[layerOf(from)]?.includes(pkg)) found.push({ from, to: pkg, rule: `src/${layerOf(from)}/ must not import ${pkg}` })
        continue
      }
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier)).replace(/\.js$/, '.ts')
      if (to.startsWith('../')) continue
      const rule = ruleBroken(from, to)
      if (rule) found.push({ from, to, rule })
    }
  }
  return found.sort((a, b) => `${a.from} ${a.to}`.localeCompare(`${b.from} ${b.to}`))
}

/** Source files (.ts, .mts, .mjs, .js) under `dir`, keyed by their path relative to `dir`. */
export function readSources(dir) {
  const sources = {}
  const walk = (sub) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name
      if (entry.isDirectory()) walk(rel)
      else if (/\.(m?ts|m?js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) sources[rel] = fs.readFileSync(path.join(dir, rel), 'utf8')
    }
  }
  walk('')
  return sources
}

function main() {
  const src = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'src')
  const sources = readSources(src)
  const violations = findViolations(sources)
  console.log(`import rules: ${Object.keys(sources).length} files under src/ checked`)
  for (const v of violations) console.log(`  VIOLATION src/${v.from} imports ${v.to}: ${v.rule}`)
  if (violations.length > 0) {
    console.log(`import rules: ${violations.length} violation(s)`)
    process.exitCode = 1
  } else {
    console.log('import rules: ok')
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
