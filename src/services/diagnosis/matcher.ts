import type { Severity } from './rule-schema.js'
import { SEVERITY_RANK, type Rule, type RuleSet } from './rule-loader.js'
import { renderScript } from './script-template.js'

/** One console line that shows a finding (1-based line number in the log read). */
export interface EvidenceLine {
  number: number
  text: string
}

/** A known failure found in a console log. */
export interface Finding {
  rule: string
  title: string
  severity: Severity
  explanation: string
  /** The matching lines (the first `MAX_EVIDENCE_LINES`). */
  lines: EvidenceLine[]
  /** How many lines matched in all. */
  lineCount: number
  /** Distinct values of each named capture, in order of appearance. */
  captures: Record<string, string[]>
  /** A repair script for a rescue run, ready to use. */
  script: string
}

/** Evidence lines kept per finding: enough to show a pattern, not a whole log. */
export const MAX_EVIDENCE_LINES = 20
const MAX_LINE_CHARS = 500

// Terminal control sequences (systemd's colours, cursor moves) and carriage returns are not text.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\r/g

/** The console text as plain lines: escape sequences and carriage returns removed. */
export function consoleLines(text: string): string[] {
  return text.replace(/\r\n/g, '\n').split('\n').map((line) => line.replace(ESCAPES, ''))
}

function matchRule(rule: Rule, lines: readonly string[], prelude: string): Finding | null {
  const evidence: EvidenceLine[] = []
  let lineCount = 0
  const captures: Record<string, string[]> = {}
  lines.forEach((line, index) => {
    let matched = false
    for (const pattern of rule.patterns) {
      const m = pattern.exec(line)
      if (!m) continue
      matched = true
      for (const [name, value] of Object.entries(m.groups ?? {})) {
        if (value === undefined || value === '') continue
        const values = captures[name] ??= []
        if (!values.includes(value)) values.push(value)
      }
    }
    if (!matched) return
    lineCount++
    if (evidence.length < MAX_EVIDENCE_LINES) evidence.push({ number: index + 1, text: line.slice(0, MAX_LINE_CHARS) })
  })
  if (lineCount === 0) return null
  for (const [name, value] of Object.entries(rule.defaults ?? {})) if (!captures[name]) captures[name] = [value]
  const script = `#!/bin/sh\n# Lifeboat diagnosis ${rule.id}: ${rule.title}\n${prelude.trimEnd()}\n\n${renderScript(rule.script, captures).trimEnd()}\n`
  return { rule: rule.id, title: rule.title, severity: rule.severity, explanation: rule.explanation.trim(), lines: evidence, lineCount, captures, script }
}

/**
 * Reads a console log with the rules. Pure. Every rule that matches a line
 * gives a finding with its lines and rendered repair script; a rule whose
 * `supersededBy` rule also fired is left out (the precise cause wins over
 * the generic symptom). Most severe first, then by first line.
 */
export function diagnose(text: string, ruleSet: RuleSet): Finding[] {
  const lines = consoleLines(text)
  const found = ruleSet.rules.map((rule) => matchRule(rule, lines, ruleSet.prelude)).filter((f): f is Finding => f !== null)
  const fired = new Set(found.map((f) => f.rule))
  const supersededBy = new Map(ruleSet.rules.map((r) => [r.id, r.supersededBy ?? []]))
  return found
    .filter((f) => !(supersededBy.get(f.rule) ?? []).some((id) => fired.has(id)))
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.lines[0]!.number - b.lines[0]!.number)
}
