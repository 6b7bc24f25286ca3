import fs from 'node:fs'
import { Value } from '@sinclair/typebox/value'
import { parse } from 'yaml'
import { RulesFile, type RuleSource, type Severity } from './rule-schema.js'
import { placeholders } from './script-template.js'

/** A rule ready to match: its source with the patterns compiled. */
export interface Rule extends Omit<RuleSource, 'patterns'> {
  readonly patterns: readonly RegExp[]
}

/** The rules and the prelude every repair script starts with. */
export interface RuleSet {
  readonly version: number
  readonly prelude: string
  readonly rules: readonly Rule[]
}

/** Where the shipped rules live (copied beside the compiled module by the build). */
export const DEFAULT_RULES_FILE = new URL('./rules.yaml', import.meta.url)

/** Named groups of a compiled pattern (`(?<name>…)`). */
function groupNames(regex: RegExp): string[] {
  return [...regex.source.matchAll(/\(\?<([A-Za-z][A-Za-z0-9_]*)>/g)].map((m) => m[1]!)
}

function compileRule(source: RuleSource): Rule {
  const patterns = source.patterns.map((p, i) => {
    try {
      return new RegExp(p.regex, p.flags ?? '')
    } catch (error) {
      throw new Error(`rule ${source.id}: pattern ${i + 1} is not a regular expression: ${(error as Error).message}`)
    }
  })
  const known = new Set([...patterns.flatMap(groupNames), ...Object.keys(source.defaults ?? {})])
  for (const name of placeholders(source.script)) {
    const base = name.endsWith('_all') ? name.slice(0, -'_all'.length) : name
    if (!known.has(base)) throw new Error(`rule ${source.id}: the script uses {{${name}}} but no pattern captures "${base}" and no default names it`)
  }
  return { ...source, patterns }
}

/**
 * Validates a rules document (the TypeBox schema, unique ids, compilable
 * patterns, every script placeholder backed by a capture) and compiles it.
 * Throws with the first problem: a bad rules file must stop the start, not
 * answer wrong diagnoses.
 */
export function compileRules(document: unknown): RuleSet {
  if (!Value.Check(RulesFile, document)) {
    const first = Value.Errors(RulesFile, document).First()
    throw new Error(`diagnosis rules: ${first ? `${first.path || '/'}: ${first.message}` : 'invalid document'}`)
  }
  const ids = new Set<string>()
  for (const rule of document.rules) {
    if (ids.has(rule.id)) throw new Error(`diagnosis rules: rule id ${rule.id} appears twice`)
    ids.add(rule.id)
  }
  for (const rule of document.rules) {
    for (const other of rule.supersededBy ?? []) if (!ids.has(other)) throw new Error(`rule ${rule.id}: supersededBy names no rule: ${other}`)
  }
  return { version: document.version, prelude: document.prelude, rules: document.rules.map(compileRule) }
}

/** Reads, validates and compiles a YAML rules file. */
export function loadRules(file: URL | string = DEFAULT_RULES_FILE): RuleSet {
  return compileRules(parse(fs.readFileSync(file, 'utf8')))
}

/** Severity order, most severe first. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, error: 1, warning: 2 }
