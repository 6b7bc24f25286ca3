import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import { compileRules } from '../../../../src/services/diagnosis/rule-loader.js'
import { diagnose } from '../../../../src/services/diagnosis/matcher.js'
import { renderScript, shellQuote } from '../../../../src/services/diagnosis/script-template.js'

const rule = (over: Record<string, unknown> = {}) => ({
  id: 'demo', title: 'Demo', severity: 'error', explanation: 'x', patterns: [{ regex: 'mount (?<mp>/\\S+) failed' }], script: 'echo {{mp}}', ...over,
})
const doc = (...rules: unknown[]) => ({ version: 1, prelude: 'set -eu', rules })

test('a rules file is checked at load: schema, ids, regular expressions, placeholders, supersededBy', () => {
  assert.throws(() => compileRules({ version: 1, rules: [] }), /diagnosis rules: /)
  assert.throws(() => compileRules(doc(rule({ severity: 'fatal' }))), /severity/)
  assert.throws(() => compileRules(doc(rule({ extra: 1 }))), /diagnosis rules/)
  assert.throws(() => compileRules(doc(rule(), rule())), /rule id demo appears twice/)
  assert.throws(() => compileRules(doc(rule({ patterns: [{ regex: '(' }] }))), /rule demo: pattern 1 is not a regular expression/)
  assert.throws(() => compileRules(doc(rule({ script: 'echo {{device}}' }))), /uses \{\{device\}\} but no pattern captures "device"/)
  assert.throws(() => compileRules(doc(rule({ supersededBy: ['nope'] }))), /supersededBy names no rule: nope/)
  assert.doesNotThrow(() => compileRules(doc(rule({ script: 'echo {{device}} {{mp_all}}', defaults: { device: '/dev/vda' } }))))
})

test('captures reach the script as single shell words: a console line cannot inject shell syntax', () => {
  const set = compileRules(doc(rule({ script: 'for m in {{mp_all}}; do echo "$m"; done; first={{mp}}' })))
  const evil = "/a';echo${IFS}PWNED;'"
  const log = [`mount ${evil} failed`, 'mount /b;reboot failed', `mount ${evil} failed`].join('\n')
  const [finding] = diagnose(log, set)
  assert.deepEqual(finding!.captures.mp, [evil, '/b;reboot'])
  const out = execFileSync('sh', ['-c', renderScript('for m in {{mp_all}}; do echo "$m"; done', finding!.captures)]).toString()
  assert.equal(out, `${evil}\n/b;reboot\n`)
  assert.equal(shellQuote("it's"), `'it'\\''s'`)
  assert.equal(renderScript('x={{none}} y={{none_all}}', {}), "x='' y=''")
})

test('terminal escapes and carriage returns are not part of a line; evidence is capped, the count is not', () => {
  const set = compileRules(doc(rule()))
  const lines = Array.from({ length: 30 }, (_, i) => `\x1b[0;1;31mmount /m${i} failed\x1b[0m\r`)
  const [finding] = diagnose(lines.join('\n'), set)
  assert.equal(finding!.lineCount, 30)
  assert.equal(finding!.lines.length, 20)
  assert.deepEqual(finding!.lines[0], { number: 1, text: 'mount /m0 failed' })
})
