import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { waitUntil } from '../../helpers/wait-until.js'

describe('waitUntil', () => {
  test('resolves with the first value that is neither undefined nor false', async () => {
    let calls = 0
    const value = await waitUntil(() => (++calls === 3 ? 0 : undefined), { timeoutMs: 1000, intervalMs: 0, what: 'never' })
    assert.equal(value, 0)
    assert.equal(calls, 3)
  })

  test('false means not yet; true ends the wait', async () => {
    let calls = 0
    assert.equal(await waitUntil(async () => ++calls > 1, { timeoutMs: 1000, intervalMs: 1, what: 'never' }), true)
  })

  test('throws `what` after the timeout, built when it gives up', async () => {
    let seen = 0
    await assert.rejects(waitUntil(() => { seen++; return undefined }, { timeoutMs: 30, intervalMs: 5, what: () => `gave up after ${seen} checks` }), /^Error: gave up after \d+ checks$/)
  })

  test('an error from the check ends the wait at once', async () => {
    await assert.rejects(waitUntil(() => { throw new Error('went to ERROR') }, { timeoutMs: 10_000, intervalMs: 10, what: 'never' }), /went to ERROR/)
  })
})
