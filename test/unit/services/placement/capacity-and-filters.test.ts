import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { capacityOf, fits, meetsUnitConstraints, summaryCapacity } from '../../../../src/services/placement/capacity.js'
import { filterProviders, hasCapacity, matchesAggregates, matchesTraits, type ProviderDetails } from '../../../../src/services/placement/provider-snapshot.js'
import { withInventoryDefaults } from '../../../../src/services/placement/db-types.js'

const inv = (fields: Parameters<typeof withInventoryDefaults>[0]) => withInventoryDefaults(fields)

function provider(uuid: string, opts: { root?: string; traits?: string[]; aggregates?: string[]; vcpu?: number; used?: number } = {}): ProviderDetails {
  const now = '2026-01-01T00:00:00.000Z'
  const inventories = new Map()
  if (opts.vcpu !== undefined) inventories.set('VCPU', { provider_uuid: uuid, resource_class: 'VCPU', ...inv({ total: opts.vcpu }), created_at: now, updated_at: now })
  return {
    row: { uuid, name: uuid, generation: 0, parent_provider_uuid: opts.root && opts.root !== uuid ? opts.root : null, root_provider_uuid: opts.root ?? uuid, created_at: now, updated_at: now },
    traits: new Set(opts.traits ?? []), aggregates: new Set(opts.aggregates ?? []), inventories, usages: new Map([['VCPU', opts.used ?? 0]]),
  }
}

describe('placement capacity', () => {
  test('capacity is (total - reserved) * allocation_ratio; summaries print it as an integer', () => {
    assert.equal(capacityOf(inv({ total: 4, reserved: 1, allocation_ratio: 1.5 })), 4.5)
    assert.equal(summaryCapacity(inv({ total: 4, reserved: 1, allocation_ratio: 1.5 })), 4)
  })

  test('an amount must respect min_unit, max_unit and step_size', () => {
    const i = inv({ total: 100, min_unit: 2, max_unit: 10, step_size: 2 })
    assert.equal(meetsUnitConstraints(i, 4), true)
    assert.equal(meetsUnitConstraints(i, 1), false)
    assert.equal(meetsUnitConstraints(i, 3), false)
    assert.equal(meetsUnitConstraints(i, 12), false)
  })

  test('fits counts what is already used', () => {
    const i = inv({ total: 4 })
    assert.equal(fits(i, 3, 1), true)
    assert.equal(fits(i, 3, 2), false)
  })
})

describe('placement provider filters', () => {
  test('required traits are an AND of ORs; forbidden traits exclude', () => {
    const p = provider('a', { traits: ['A', 'B'] })
    assert.equal(matchesTraits(p, [['A'], ['B', 'X']]), true)
    assert.equal(matchesTraits(p, [['X', 'Y']]), false)
    assert.equal(matchesTraits(p, [['A']], ['B']), false)
  })

  test('member_of needs one aggregate per group and none of the forbidden', () => {
    const p = provider('a', { aggregates: ['g1'] })
    assert.equal(matchesAggregates(p, [['g1', 'g2']]), true)
    assert.equal(matchesAggregates(p, [['g2']]), false)
    assert.equal(matchesAggregates(p, [], ['g1']), false)
  })

  test('resources need an inventory with room; in_tree keeps one tree', () => {
    const a = provider('a', { vcpu: 4, used: 3 })
    const child = provider('c', { root: 'a' })
    const b = provider('b', { vcpu: 8 })
    assert.equal(hasCapacity(a, { VCPU: 1 }), true)
    assert.equal(hasCapacity(a, { VCPU: 2 }), false)
    assert.equal(hasCapacity(child, { VCPU: 1 }), false)
    assert.deepEqual(filterProviders([a, child, b], { inTree: 'c' }).map((p) => p.row.uuid), ['a', 'c'])
    assert.deepEqual(filterProviders([a, child, b], { inTree: 'missing' }), [])
    assert.deepEqual(filterProviders([a, child, b], { resources: { VCPU: 2 } }).map((p) => p.row.uuid), ['b'])
  })
})
