import assert from 'node:assert/strict'
import { test } from 'node:test'
import { groupHostPasses, groupHostWeight, orderForGroup, type GroupPlacement } from '../../../../src/services/scheduler/group-placement.js'

function group(policy: string, memberHosts: Record<string, number>, maxServerPerHost = 1): GroupPlacement {
  return { groupId: 'g', policy, maxServerPerHost, memberHosts: new Map(Object.entries(memberHosts)) }
}

test('affinity: any host for the first member, then only the hosts that hold members', () => {
  assert.equal(groupHostPasses(group('affinity', {}), 'a'), true)
  assert.equal(groupHostPasses(group('affinity', { a: 1 }), 'a'), true)
  assert.equal(groupHostPasses(group('affinity', { a: 1 }), 'b'), false)
})

test('anti-affinity: fewer members on the host than max_server_per_host (1 by default)', () => {
  assert.equal(groupHostPasses(group('anti-affinity', { a: 1 }), 'a'), false)
  assert.equal(groupHostPasses(group('anti-affinity', { a: 1 }), 'b'), true)
  assert.equal(groupHostPasses(group('anti-affinity', { a: 1 }, 2), 'a'), true)
  assert.equal(groupHostPasses(group('anti-affinity', { a: 2 }, 2), 'a'), false)
})

test('soft policies and no group never filter; the soft weighers order hosts by members', () => {
  for (const policy of ['soft-affinity', 'soft-anti-affinity']) assert.equal(groupHostPasses(group(policy, { a: 5 }), 'a'), true)
  assert.equal(groupHostPasses(null, 'a'), true)
  const hosts = ['a', 'b', 'c']
  assert.deepEqual(orderForGroup(group('soft-affinity', { b: 2, c: 1 }), hosts, (h) => h), ['b', 'c', 'a'])
  assert.deepEqual(orderForGroup(group('soft-anti-affinity', { a: 2, b: 1 }), hosts, (h) => h), ['c', 'b', 'a'])
  assert.deepEqual(orderForGroup(group('anti-affinity', { b: 1 }), hosts, (h) => h), ['a', 'c'])
  assert.deepEqual(orderForGroup(null, hosts, (h) => h), hosts)
  assert.equal(groupHostWeight(group('affinity', { a: 3 }), 'a'), 0)
})
