import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { LATEST, consumer, createHost, createProvider, placementError } from './placement-helpers.js'

describeEachDialect('placement allocation candidates', (cloud) => {
  // Each test asks for its own CUSTOM_ trait, so the embedded agent's host never matches.
  test('resources and required traits pick the hosts; shapes follow the microversion', async () => {
    const admin = cloud().admin
    const bfv = await createHost(admin, 'ac-bfv', { VCPU: { total: 4 }, MEMORY_MB: { total: 2048, reserved: 512 }, DISK_GB: { total: 10 } }, ['CUSTOM_AC1', 'COMPUTE_RESCUE_BFV'])
    await createHost(admin, 'ac-plain', { VCPU: { total: 4 }, MEMORY_MB: { total: 2048 } }, ['CUSTOM_AC1'])
    const latest = await admin.request('GET', '/placement/allocation_candidates?resources=VCPU:1,MEMORY_MB:512&required=CUSTOM_AC1,COMPUTE_RESCUE_BFV', { microversion: LATEST })
    assert.equal(latest.status, 200, latest.text)
    assert.deepEqual(latest.body.allocation_requests, [{ allocations: { [bfv.uuid]: { resources: { VCPU: 1, MEMORY_MB: 512 } } }, mappings: { '': [bfv.uuid] } }])
    assert.deepEqual(latest.body.provider_summaries, {
      [bfv.uuid]: {
        resources: { DISK_GB: { capacity: 10, used: 0 }, MEMORY_MB: { capacity: 1536, used: 0 }, VCPU: { capacity: 4, used: 0 } },
        traits: ['COMPUTE_RESCUE_BFV', 'CUSTOM_AC1'], parent_provider_uuid: null, root_provider_uuid: bfv.uuid,
      },
    })
    const forbidden = await admin.request('GET', '/placement/allocation_candidates?resources=VCPU:1&required=CUSTOM_AC1,!COMPUTE_RESCUE_BFV', { microversion: LATEST })
    assert.deepEqual(Object.keys(forbidden.body.provider_summaries).length, 1)
    assert.notEqual(Object.keys(forbidden.body.provider_summaries)[0], bfv.uuid)
    const at117 = await admin.request('GET', '/placement/allocation_candidates?resources=VCPU:1&required=CUSTOM_AC1,COMPUTE_RESCUE_BFV', { microversion: '1.17' })
    assert.deepEqual(at117.body.allocation_requests, [{ allocations: { [bfv.uuid]: { resources: { VCPU: 1 } } } }])
    assert.deepEqual(at117.body.provider_summaries[bfv.uuid], { resources: { VCPU: { capacity: 4, used: 0 } }, traits: ['COMPUTE_RESCUE_BFV', 'CUSTOM_AC1'] })
    const at110 = await admin.request('GET', '/placement/allocation_candidates?resources=CUSTOM_AC_ONLY:1', { microversion: '1.10' })
    assert.equal(at110.status, 400)
    await admin.request('PUT', '/placement/resource_classes/CUSTOM_AC_ONLY', { microversion: LATEST })
    const only = await createHost(admin, 'ac-only', { CUSTOM_AC_ONLY: { total: 1 } })
    const list = await admin.request('GET', '/placement/allocation_candidates?resources=CUSTOM_AC_ONLY:1', { microversion: '1.10' })
    assert.deepEqual(list.body.allocation_requests, [{ allocations: [{ resource_provider: { uuid: only.uuid }, resources: { CUSTOM_AC_ONLY: 1 } }] }])
    assert.deepEqual(list.body.provider_summaries, { [only.uuid]: { resources: { CUSTOM_AC_ONLY: { capacity: 1, used: 0 } } } })
  })

  test('used capacity, limit, any-traits and root_required are honoured', async () => {
    const admin = cloud().admin
    const a = await createHost(admin, 'ac2-a', { VCPU: { total: 2 } }, ['CUSTOM_AC2', 'CUSTOM_AC2_A'])
    const b = await createHost(admin, 'ac2-b', { VCPU: { total: 2 } }, ['CUSTOM_AC2', 'CUSTOM_AC2_B'])
    const uuids = async (qs: string, mv = LATEST) => {
      const res = await admin.request('GET', `/placement/allocation_candidates?${qs}`, { microversion: mv })
      assert.equal(res.status, 200, res.text)
      return res.body.allocation_requests.map((r: any) => Object.keys(r.allocations)[0]).sort()
    }
    assert.deepEqual(await uuids('resources=VCPU:2&required=CUSTOM_AC2'), [a.uuid, b.uuid].sort())
    assert.equal((await uuids('resources=VCPU:1&required=CUSTOM_AC2&limit=1')).length, 1)
    assert.deepEqual(await uuids('resources=VCPU:1&required=in:CUSTOM_AC2_A,CUSTOM_NODE_X'.replace('CUSTOM_NODE_X', 'CUSTOM_AC2_B')), [a.uuid, b.uuid].sort())
    assert.deepEqual(await uuids('resources=VCPU:1&required=CUSTOM_AC2&root_required=CUSTOM_AC2_B'), [b.uuid])
    await admin.request('PUT', `/placement/allocations/${consumer()}`, { body: { allocations: { [a.uuid]: { resources: { VCPU: 2 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' }, microversion: LATEST })
    assert.deepEqual(await uuids('resources=VCPU:1&required=CUSTOM_AC2'), [b.uuid])
    assert.deepEqual(await uuids('resources=VCPU:3&required=CUSTOM_AC2'), [])
    assert.deepEqual(await uuids('resources1=VCPU:1&required1=CUSTOM_AC2_B'), [b.uuid])
  })

  test('nested providers do not break candidates; summaries list the tree from 1.29', async () => {
    const admin = cloud().admin
    const root = await createHost(admin, 'ac3-root', { VCPU: { total: 2 } }, ['CUSTOM_AC3'])
    const child = await createProvider(admin, 'ac3-child', { parent_provider_uuid: root.uuid })
    const res = await admin.request('GET', '/placement/allocation_candidates?resources=VCPU:1&required=CUSTOM_AC3', { microversion: LATEST })
    assert.equal(res.body.allocation_requests.length, 1)
    assert.deepEqual(Object.keys(res.body.provider_summaries).sort(), [root.uuid, child.uuid].sort())
    assert.equal(res.body.provider_summaries[child.uuid].parent_provider_uuid, root.uuid)
    const inTree = await admin.request('GET', `/placement/allocation_candidates?resources=VCPU:1&in_tree=${child.uuid}`, { microversion: LATEST })
    assert.deepEqual(inTree.body.allocation_requests.map((r: any) => Object.keys(r.allocations)[0]), [root.uuid])
  })

  test('bad queries are 400: missing resources, bad amounts, unknown class or trait, orphan traits, group_policy', async () => {
    const admin = cloud().admin
    const bad = async (qs: string, pattern: RegExp, mv = LATEST) => {
      const res = await admin.request('GET', `/placement/allocation_candidates?${qs}`, { microversion: mv })
      assert.equal(res.status, 400, qs)
      assert.match(placementError(res.body).detail, pattern)
    }
    await bad('limit=1', /'resources' is a required property/, '1.24')
    await bad('resources=VCPU:0', /requires amount >= 1/)
    await bad('resources=VCPU', /Badly formed resources parameter/)
    await bad('resources=CUSTOM_NOPE:1', /Invalid resource class in resources parameter: No such resource class CUSTOM_NOPE/)
    await bad('resources=VCPU:1&required=CUSTOM_NOPE', /No such trait\(s\): CUSTOM_NOPE/)
    await bad('resources=VCPU:1&required=!COMPUTE_NODE', /Expected 'required' parameter value of the form/, '1.21')
    await bad('resources=VCPU:1&required=COMPUTE_NODE,!COMPUTE_NODE', /Conflicting required and forbidden traits/)
    await bad('resources1=VCPU:1&resources2=MEMORY_MB:1', /The "group_policy" parameter is required/)
    await bad('resources=VCPU:1&foo=bar', /Additional properties are not allowed \('foo' was unexpected\)/)
    await bad('resources=VCPU:1&limit=0', /does not match/)
  })
})
