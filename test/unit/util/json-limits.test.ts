import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AGENT_JSON_LIMITS, PUBLIC_JSON_LIMITS, jsonLimitProblem } from '../../../src/util/json-limits.js'

const limits = { maxDepth: 3, maxStringLength: 5, allowNul: false }

test('nesting is counted outside strings only, up to the limit', () => {
  assert.equal(jsonLimitProblem('[[[1]]]', limits), null)
  assert.deepEqual(jsonLimitProblem('[[[[1]]]]', limits), { kind: 'depth', limit: 3 })
  assert.deepEqual(jsonLimitProblem('{"a":{"b":{"c":{}}}}', limits), { kind: 'depth', limit: 3 })
  assert.equal(jsonLimitProblem('{"a":"[[[[["}', limits), null, 'brackets inside a string do not nest')
  assert.equal(jsonLimitProblem('[[1],[2],[3],[4]]', limits), null, 'siblings do not add up')
  // Unclosed or malformed text is left to JSON.parse.
  assert.equal(jsonLimitProblem('[[[', limits), null)
})

test('string length counts characters after unescaping, keys included', () => {
  assert.equal(jsonLimitProblem('{"abcde":"\\u0041\\n\\"xy"}', limits), null)
  assert.deepEqual(jsonLimitProblem('{"abcdef":1}', limits), { kind: 'string', limit: 5 })
  assert.deepEqual(jsonLimitProblem('"\\\\\\\\\\\\\\\\\\\\\\\\"', limits), { kind: 'string', limit: 5 })
  assert.equal(jsonLimitProblem('"a\\"]]]]]"', { ...limits, maxStringLength: 10 }), null, 'an escaped quote does not end the string')
})

test('an escaped NUL is refused unless allowed', () => {
  assert.deepEqual(jsonLimitProblem('{"a":"x\\u0000"}', limits), { kind: 'nul' })
  assert.equal(jsonLimitProblem('{"a":"x\\u0000"}', { ...limits, allowNul: true }), null)
  assert.equal(jsonLimitProblem('{"a":"\\\\u0000"}', { ...limits, maxStringLength: 10 }), null, 'an escaped backslash before u0000 is text')
})

test('the public limits pass any real OpenStack body and stop a deep one; the agent API takes long strings', () => {
  const server = { server: { name: 'vm', imageRef: 'x', flavorRef: '1', block_device_mapping_v2: [{ boot_index: 0, uuid: 'x' }], user_data: 'a'.repeat(65_535) } }
  assert.equal(jsonLimitProblem(JSON.stringify(server), PUBLIC_JSON_LIMITS), null)
  assert.equal(jsonLimitProblem('['.repeat(100_000), PUBLIC_JSON_LIMITS)?.kind, 'depth')
  assert.equal(jsonLimitProblem(JSON.stringify({ output: 'x'.repeat(500_000) }), AGENT_JSON_LIMITS), null)
})
