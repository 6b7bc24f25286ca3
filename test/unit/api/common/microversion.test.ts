import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { negotiateMicroversion, isAtLeast, parseMicroversion, type MicroversionSpec } from '../../../../src/api/common/microversion.js'
import { LifeboatError } from '../../../../src/services/errors.js'

const compute: MicroversionSpec = { service: 'compute', min: '2.1', max: '2.90', legacyHeader: 'X-OpenStack-Nova-API-Version' }

function statusOf(fn: () => unknown): number {
  try {
    fn()
  } catch (error) {
    return (error as LifeboatError).status
  }
  return 0
}

describe('negotiateMicroversion', () => {
  test('no header means the minimum', () => {
    assert.deepEqual(negotiateMicroversion({}, compute), { major: 2, minor: 1 })
  })
  test('reads the modern header for its own service only', () => {
    assert.deepEqual(negotiateMicroversion({ 'openstack-api-version': 'volume 3.40, compute 2.87' }, compute), { major: 2, minor: 87 })
    assert.deepEqual(negotiateMicroversion({ 'openstack-api-version': 'volume 3.40' }, compute), { major: 2, minor: 1 })
  })
  test('reads the legacy Nova header', () => {
    assert.deepEqual(negotiateMicroversion({ 'x-openstack-nova-api-version': '2.60' }, compute), { major: 2, minor: 60 })
  })
  test('latest is the maximum', () => {
    assert.deepEqual(negotiateMicroversion({ 'openstack-api-version': 'compute latest' }, compute), { major: 2, minor: 90 })
  })
  test('above the max or below the min is 406; malformed is 400', () => {
    assert.equal(statusOf(() => negotiateMicroversion({ 'openstack-api-version': 'compute 2.91' }, compute)), 406)
    assert.equal(statusOf(() => negotiateMicroversion({ 'openstack-api-version': 'compute 2.0' }, compute)), 406)
    assert.equal(statusOf(() => negotiateMicroversion({ 'openstack-api-version': 'compute 2.x' }, compute)), 400)
    assert.equal(statusOf(() => negotiateMicroversion({ 'x-openstack-nova-api-version': '2.01' }, compute)), 400)
  })
  test('isAtLeast compares minor numbers numerically', () => {
    assert.equal(isAtLeast(parseMicroversion('2.87'), '2.9'), true)
    assert.equal(isAtLeast(parseMicroversion('2.86'), '2.87'), false)
  })
})
