import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultWeighers, normalize, weighHosts } from '../../../../src/services/scheduler/weighers.js'
import { aggregateExtraSpecsPass, matchExtraSpec } from '../../../../src/services/scheduler/aggregate-filters.js'
import type { GroupPlacement } from '../../../../src/services/scheduler/group-placement.js'

const host = (name: string, ram: number, disk: number, vcpu: number) => ({ host: name, free: { MEMORY_MB: ram, DISK_GB: disk, VCPU: vcpu } })

test('normalize scales to [0, 1] between min and max; all equal is all 0 (nova/weights.py)', () => {
  assert.deepEqual(normalize([]), [])
  assert.deepEqual(normalize([5, 5, 5]), [0, 0, 0])
  assert.deepEqual(normalize([10, 20, 15]), [0, 1, 0.5])
})

test('the RAM, disk and CPU weighers prefer the emptier host; ties keep placement\'s order', () => {
  const hosts = [host('a', 1024, 10, 4), host('b', 4096, 40, 16), host('c', 2048, 20, 8)]
  assert.deepEqual(weighHosts(hosts, defaultWeighers(null)).map((h) => h.host), ['b', 'c', 'a'])
  const equal = [host('a', 1024, 10, 4), host('b', 1024, 10, 4)]
  assert.deepEqual(weighHosts(equal, defaultWeighers(null)).map((h) => h.host), ['a', 'b'])
  // Each weigher counts once: more free RAM alone loses to more free disk and VCPU.
  assert.deepEqual(weighHosts([host('ram', 8192, 10, 4), host('rest', 1024, 40, 16)], defaultWeighers(null)).map((h) => h.host), ['rest', 'ram'])
})

test('soft affinity adds the group\'s weight to the resource weighers', () => {
  const group = (policy: string, members: Record<string, number>): GroupPlacement => ({ groupId: 'g', policy, maxServerPerHost: 1, memberHosts: new Map(Object.entries(members)) })
  const hosts = [host('a', 1024, 10, 4), host('b', 1024, 10, 4)]
  assert.deepEqual(weighHosts(hosts, defaultWeighers(group('soft-affinity', { b: 1 }))).map((h) => h.host), ['b', 'a'])
  assert.deepEqual(weighHosts(hosts, defaultWeighers(group('soft-anti-affinity', { a: 1 }))).map((h) => h.host), ['b', 'a'])
})

test('extra_specs_ops match and the AggregateInstanceExtraSpecsFilter', () => {
  assert.equal(matchExtraSpec('true', 'true'), true)
  assert.equal(matchExtraSpec('2048', '= 1024'), true)
  assert.equal(matchExtraSpec('512', '>= 1024'), false)
  assert.equal(matchExtraSpec('silver', '<or> gold <or> silver'), true)
  assert.equal(matchExtraSpec('bronze', '<or> gold <or> silver'), false)
  assert.equal(matchExtraSpec('abc', 's== abc'), true)
  const metadata = new Map([['ssd', new Set(['true'])], ['tier', new Set(['gold', 'silver'])]])
  assert.equal(aggregateExtraSpecsPass({ 'aggregate_instance_extra_specs:ssd': 'true', 'hw:cpu_policy': 'dedicated', free: 'form' }, metadata), true)
  assert.equal(aggregateExtraSpecsPass({ 'aggregate_instance_extra_specs:tier': 'silver' }, metadata), true)
  assert.equal(aggregateExtraSpecsPass({ 'aggregate_instance_extra_specs:ssd': 'false' }, metadata), false)
  assert.equal(aggregateExtraSpecsPass({ 'aggregate_instance_extra_specs:gpu': 'true' }, metadata), false)
  assert.equal(aggregateExtraSpecsPass({ 'aggregate_instance_extra_specs:ssd': 'true' }, undefined), false)
})
