import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { compareValues } from '../../../src/util/compare-values.js'

describe('compareValues', () => {
  test('null and undefined sort first; numbers, booleans by value; the rest as strings', () => {
    assert.equal(compareValues(null, 'a'), -1)
    assert.equal(compareValues('a', undefined), 1)
    assert.ok(compareValues(2, 10) < 0)
    assert.ok(compareValues(true, false) > 0)
    assert.equal(compareValues('b', 'a'), 1)
    assert.equal(compareValues('x', 'x'), 0)
    assert.deepEqual([3, null, 1, 2].sort(compareValues), [null, 1, 2, 3])
  })
})
