import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { planAddressing } from '../../../../src/services/network/ipam.js'
import { applyListQuery } from '../../../../src/services/network/resource-query.js'
import { NeutronError } from '../../../../src/services/network/network-errors.js'

function neutronType(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof NeutronError)
    return error.type
  }
  return 'none'
}

describe('IPAM: subnet addressing as Neutron defaults and checks it', () => {
  test('the gateway defaults to the first host and the pool to the rest; no gateway leaves the whole range', () => {
    assert.deepEqual(planAddressing({ cidr: '10.0.0.0/24' }).pools, [{ start: '10.0.0.2', end: '10.0.0.254' }])
    assert.equal(planAddressing({ cidr: '10.0.0.0/24' }).gatewayIp, '10.0.0.1')
    assert.deepEqual(planAddressing({ cidr: '10.0.0.0/29', gatewayIp: null }).pools, [{ start: '10.0.0.1', end: '10.0.0.6' }])
    assert.deepEqual(planAddressing({ cidr: '10.0.0.0/29', gatewayIp: '10.0.0.3' }).pools, [{ start: '10.0.0.1', end: '10.0.0.2' }, { start: '10.0.0.4', end: '10.0.0.6' }])
  })

  test('bad CIDRs, pools and gateways are refused with Neutron\'s exception types', () => {
    assert.equal(neutronType(() => planAddressing({ cidr: 'nope' })), 'HTTPBadRequest')
    assert.equal(neutronType(() => planAddressing({ cidr: '10.0.0.0/24', gatewayIp: '10.0.0.255' })), 'InvalidInput')
    assert.equal(neutronType(() => planAddressing({ cidr: '10.0.0.0/24', allocationPools: [{ start: '10.0.0.9', end: '10.0.0.3' }] })), 'InvalidAllocationPool')
    assert.equal(neutronType(() => planAddressing({ cidr: '10.0.0.0/24', allocationPools: [{ start: '10.0.0.3', end: '10.0.1.3' }] })), 'OutOfBoundsAllocationPool')
    assert.equal(neutronType(() => planAddressing({ cidr: '10.0.0.0/24', gatewayIp: '10.0.0.5', allocationPools: [{ start: '10.0.0.3', end: '10.0.0.9' }] })), 'GatewayConflictWithAllocationPools')
  })
})

describe('list queries: filters, sort, paging, fields', () => {
  const items = [
    { id: 'a', name: 'x', shared: true, tags: ['t1'], fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.3' }] },
    { id: 'b', name: 'y', shared: false, tags: ['t1', 't2'], fixed_ips: [] },
    { id: 'c', name: 'x', shared: false, tags: [], fixed_ips: [] },
  ]
  const ids = (query: Partial<Parameters<typeof applyListQuery>[1]>) => applyListQuery(items, { filters: {}, fields: [], sort: [], ...query }).items.map((i) => i.id)

  test('a repeated filter is an OR, booleans read oslo strings, tags and fixed_ips have their own forms', () => {
    assert.deepEqual(ids({ filters: { name: ['x'] } }), ['a', 'c'])
    assert.deepEqual(ids({ filters: { name: ['x', 'y'], shared: ['False'] } }), ['b', 'c'])
    assert.deepEqual(ids({ filters: { tags: ['t1,t2'] } }), ['b'])
    assert.deepEqual(ids({ filters: { 'not-tags-any': ['t2'] } }), ['a', 'c'])
    assert.deepEqual(ids({ filters: { fixed_ips: ['ip_address=10.0.0.3'] } }), ['a'])
  })

  test('sorting ends on id; a marker pages forward or backward; fields keep only what is named', () => {
    assert.deepEqual(ids({ sort: [{ key: 'name', dir: 'desc' }] }), ['b', 'c', 'a'])
    const page = applyListQuery(items, { filters: {}, fields: ['name'], sort: [], limit: 1, marker: 'a' })
    assert.deepEqual([page.items, page.hasMore, page.firstId], [[{ name: 'y' }], true, 'b'])
    assert.deepEqual(ids({ marker: 'c', pageReverse: true, limit: 1 }), ['b'])
    assert.equal(applyListQuery(items, { filters: {}, fields: [], sort: [], marker: 'zzz' }).markerExists, false)
  })
})
