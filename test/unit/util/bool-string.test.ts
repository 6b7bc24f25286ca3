import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isTrueString, strictBoolString } from '../../../src/util/bool-string.js'

describe('boolean strings', () => {
  test('isTrueString is true for oslo TRUE_STRINGS in any case, untrimmed', () => {
    for (const word of ['1', 't', 'true', 'on', 'y', 'yes', 'TRUE', 'Yes']) assert.equal(isTrueString(word), true, word)
    for (const word of ['0', 'false', 'no', '', 'maybe', ' yes']) assert.equal(isTrueString(word), false, word)
  })

  test('strictBoolString trims, knows both lists and is undefined otherwise', () => {
    assert.equal(strictBoolString(' Yes '), true)
    assert.equal(strictBoolString('OFF'), false)
    assert.equal(strictBoolString('n'), false)
    assert.equal(strictBoolString('maybe'), undefined)
    assert.equal(strictBoolString(''), undefined)
  })
})
