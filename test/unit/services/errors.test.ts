import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Forbidden, InvalidRequest, LifeboatError, NotFound, onNotFound } from '../../../src/services/errors.js'
import { ServiceErrorCode } from '../../../src/services/error-codes.js'
import { ApiErrorCode } from '../../../src/api/common/error-codes.js'
import { DriverErrorCode } from '../../../src/virt/error-codes.js'
import { AgentErrorCode } from '../../../src/agent/error-codes.js'
import { UtilErrorCode } from '../../../src/util/error-code.js'
import { DriverError } from '../../../src/virt/virt-driver.js'

describe('error catalogues', () => {
  test('every code is its key with the LB_ prefix, and no code is in two catalogues', () => {
    const seen = new Map<string, string>()
    const catalogues = { ServiceErrorCode, ApiErrorCode, DriverErrorCode, AgentErrorCode, UtilErrorCode }
    for (const [name, catalogue] of Object.entries(catalogues)) {
      assert.ok(Object.isFrozen(catalogue), `${name} is frozen`)
      for (const [key, code] of Object.entries(catalogue)) {
        assert.equal(code, `LB_${key}`)
        assert.equal(seen.get(code), undefined, `${code} is in ${seen.get(code)} and ${name}`)
        seen.set(code, name)
      }
    }
  })

  test('a code must come from a catalogue: a bare literal does not typecheck', () => {
    // @ts-expect-error a string literal is not an ErrorCode
    const error = new InvalidRequest('bad', 'LB_MADE_UP')
    assert.equal(error.code, 'LB_MADE_UP')
    assert.equal(new InvalidRequest('bad').code, 'LB_INVALID_REQUEST')
    assert.equal(new DriverError('boom').code, 'LB_DRIVER_ERROR')
  })
})

describe('onNotFound', () => {
  test('turns a NotFound into the replacement', async () => {
    const failed = Promise.reject(new NotFound('gone')).catch(onNotFound(() => new InvalidRequest('no such thing')))
    await assert.rejects(failed, (error: unknown) => error instanceof InvalidRequest && error.message === 'no such thing')
  })

  test('lets a 403 and a database error through unchanged', async () => {
    const forbidden = new Forbidden('not yours')
    await assert.rejects(Promise.reject(forbidden).catch(onNotFound(() => new InvalidRequest('x'))), (error) => error === forbidden)
    const database = new Error('connection refused')
    await assert.rejects(Promise.reject(database).catch(onNotFound(() => new InvalidRequest('x'))), (error) => error === database && !(error instanceof LifeboatError))
  })
})
