import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { canonicalUuid, isUuid, isUuidLike, UUID_PATTERN } from '../../../src/util/uuid.js'

describe('uuid checks', () => {
  test('a canonical uuid passes both checks, in any case', () => {
    for (const id of ['0b7a5c1e-3d4f-4a2b-9c8d-1e2f3a4b5c6d', '0B7A5C1E-3D4F-4A2B-9C8D-1E2F3A4B5C6D']) {
      assert.equal(isUuid(id), true)
      assert.equal(isUuidLike(id), true)
    }
  })

  test('only the uuid-like check accepts 32 hex digits without dashes', () => {
    assert.equal(isUuid('0b7a5c1e3d4f4a2b9c8d1e2f3a4b5c6d'), false)
    assert.equal(isUuidLike('0b7a5c1e3d4f4a2b9c8d1e2f3a4b5c6d'), true)
  })

  test('neither accepts other text', () => {
    for (const text of ['', 'abc', '0b7a5c1e-3d4f-4a2b-9c8d-1e2f3a4b5c6', '0b7a5c1e-3d4f-4a2b-9c8d-1e2f3a4b5c6dx', 'g0000000-0000-0000-0000-000000000000']) {
      assert.equal(isUuid(text), false, text)
      assert.equal(isUuidLike(text), false, text)
    }
  })

  test('the pattern is the text Glance quotes', () => {
    assert.equal(UUID_PATTERN, '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$')
  })

  test('canonicalUuid dashes and lower-cases a uuid-like string', () => {
    assert.equal(canonicalUuid('0B7A5C1E3D4F4A2B9C8D1E2F3A4B5C6D'), '0b7a5c1e-3d4f-4a2b-9c8d-1e2f3a4b5c6d')
  })
})
