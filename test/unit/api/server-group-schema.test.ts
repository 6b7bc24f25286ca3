import assert from 'node:assert/strict'
import { test } from 'node:test'
import { groupHint, groupListWindow, serverGroupToCreate } from '../../../src/api/compute/schemas/server-groups.js'
import { parseMicroversion } from '../../../src/api/common/microversion.js'
import { InvalidRequest } from '../../../src/services/errors.js'

const mv = (v: string) => parseMicroversion(v)

function refusal(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof InvalidRequest)
    return error.message
  }
  assert.fail('expected a 400')
}

test('a create body at each microversion becomes name, policy and rules', () => {
  assert.deepEqual(serverGroupToCreate({ server_group: { name: 'g', policies: ['affinity'] } }, mv('2.1')), { name: 'g', policy: 'affinity', rules: {} })
  assert.deepEqual(serverGroupToCreate({ server_group: { name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: '2' } } }, mv('2.64')),
    { name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: 2 } })
  assert.equal(refusal(() => serverGroupToCreate({ server_group: { name: 'g', policies: ['soft-affinity'] } }, mv('2.14'))),
    "Invalid input for field/attribute 0. Value: soft-affinity. 'soft-affinity' is not one of ['anti-affinity', 'affinity']")
  assert.equal(refusal(() => serverGroupToCreate({ server_group: { name: 'g', policies: ['affinity', 'affinity'] } }, mv('2.1'))),
    "Invalid input for field/attribute policies. Value: ['affinity', 'affinity']. ['affinity', 'affinity'] has non-unique elements")
  assert.equal(refusal(() => serverGroupToCreate({ server_group: { name: 7, policies: ['affinity'] } }, mv('2.1'))),
    "Invalid input for field/attribute name. Value: 7. 7 is not of type 'string'")
  assert.equal(refusal(() => serverGroupToCreate({ server_group: { name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: 'x' } } }, mv('2.64'))),
    "Invalid input for field/attribute max_server_per_host. Value: x. 'x' does not match '^[0-9]*$'")
  assert.equal(refusal(() => serverGroupToCreate([], mv('2.1'))), "[] is not of type 'object'")
})

test('the group hint is a uuid or a list of them; limit and offset are non-negative integers', () => {
  const id = '0b6c7a52-4a4e-4e38-9d3c-6a1c1f5b9f11'
  assert.equal(groupHint({ 'os:scheduler_hints': { group: id } }), id)
  assert.equal(groupHint({ 'OS-SCH-HNT:scheduler_hints': { group: [id] } }), id)
  assert.equal(groupHint({ 'os:scheduler_hints': { same_host: id } }), null)
  assert.equal(refusal(() => groupHint({ 'os:scheduler_hints': { group: 5 } })), "Invalid input for field/attribute group. Value: 5. 5 is not valid under any of the given schemas")
  assert.deepEqual(groupListWindow({}, 1000), { offset: 0, limit: 1000 })
  assert.deepEqual(groupListWindow({ limit: '5000', offset: '2' }, 1000), { offset: 2, limit: 1000 })
  assert.equal(refusal(() => groupListWindow({ offset: 'x' }, 1000)), "Invalid input for query parameters offset. Value: x. 'x' does not match '^[0-9]*$'")
})
