import { Type, type Static } from '@sinclair/typebox'

/** How bad a finding is: `critical` stops the boot, `error` breaks a service, `warning` may explain a symptom. */
export const Severity = Type.Union([Type.Literal('critical'), Type.Literal('error'), Type.Literal('warning')])
export type Severity = Static<typeof Severity>

/** One pattern of a rule: a regular expression over one console line; named groups are the captures. */
export const RulePattern = Type.Object({
  regex: Type.String({ minLength: 1 }),
  /** `i` for a case-insensitive match; no other flags. */
  flags: Type.Optional(Type.Literal('i')),
}, { additionalProperties: false })

/** One diagnosis rule as written in `rules.yaml`. */
export const RuleSource = Type.Object({
  id: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }),
  title: Type.String({ minLength: 1 }),
  severity: Severity,
  explanation: Type.String({ minLength: 1 }),
  /** The rule fires when any line matches any pattern; every matching line is evidence. */
  patterns: Type.Array(RulePattern, { minItems: 1 }),
  /** Rules that, when they fire too, make this one redundant (a generic symptom of a more precise cause). */
  supersededBy: Type.Optional(Type.Array(Type.String())),
  /** Values for captures no matching line supplied. */
  defaults: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** The repair script's body (after the shared prelude); `{{name}}` and `{{name_all}}` are captures, shell-quoted. */
  script: Type.String({ minLength: 1 }),
}, { additionalProperties: false })
export type RuleSource = Static<typeof RuleSource>

/** The whole rules file. */
export const RulesFile = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  /** Shell functions every script starts with (finding and mounting the server's own root disk). */
  prelude: Type.String({ minLength: 1 }),
  rules: Type.Array(RuleSource, { minItems: 1 }),
}, { additionalProperties: false })
export type RulesFile = Static<typeof RulesFile>
