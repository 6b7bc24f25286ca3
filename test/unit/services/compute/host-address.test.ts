import assert from 'node:assert/strict'
import { test } from 'node:test'
import { registeredHostIp } from '../../../../src/services/compute/host-address.js'

test('registeredHostIp: the named address wins; else the peer unless loopback; a non-address is undefined', () => {
  assert.equal(registeredHostIp('10.250.0.11', '10.250.0.12'), '10.250.0.11')
  assert.equal(registeredHostIp('fd00::11', undefined), 'fd00::11')
  assert.equal(registeredHostIp(undefined, '::ffff:10.250.0.12'), '10.250.0.12')
  assert.equal(registeredHostIp(undefined, '192.0.2.7'), '192.0.2.7')
  assert.equal(registeredHostIp(undefined, '127.0.0.1'), null)
  assert.equal(registeredHostIp(undefined, '::ffff:127.0.0.1'), null)
  assert.equal(registeredHostIp(undefined, '::1'), null)
  assert.equal(registeredHostIp(undefined, undefined), null)
  for (const bad of ['999.1.1.1', '10.0.0', '0.0.0.0', '::', '1.2.3.4.5']) assert.equal(registeredHostIp(bad, '10.0.0.1'), undefined, bad)
})
