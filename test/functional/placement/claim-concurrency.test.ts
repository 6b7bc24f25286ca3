import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { LATEST, consumer, createHost } from './placement-helpers.js'

describeEachDialect('placement contract for the scheduler and the agent', (cloud) => {
  test('concurrent claimAllocation calls never overcommit a provider', async () => {
    const placement = cloud().running.services.placement
    const host = await createHost(cloud().admin, 'race-host', { VCPU: { total: 5 }, MEMORY_MB: { total: 10240 } })
    const claims = await Promise.all(Array.from({ length: 20 }, () =>
      placement.claimAllocation(consumer(), host.uuid, { VCPU: 1, MEMORY_MB: 512 }, 'p', 'u')))
    assert.equal(claims.filter(Boolean).length, 5)
    const usages = await cloud().admin.request('GET', `/placement/resource_providers/${host.uuid}/usages`, { microversion: LATEST })
    assert.deepEqual(usages.body.usages, { MEMORY_MB: 2560, VCPU: 5 })
  })

  test('concurrent HTTP claims for the last slot: exactly one wins, the others get 409', async () => {
    const admin = cloud().admin
    const host = await createHost(admin, 'race-http', { VCPU: { total: 1 } })
    const results = await Promise.all(Array.from({ length: 8 }, () => admin.request('PUT', `/placement/allocations/${consumer()}`, {
      body: { allocations: { [host.uuid]: { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' }, microversion: LATEST,
    })))
    assert.deepEqual(results.map((r) => r.status).sort(), [204, 409, 409, 409, 409, 409, 409, 409])
  })

  test('ensureResourceProvider, setInventories, setTraits, getTraits, getAllocationCandidates, deleteAllocations', async () => {
    const placement = cloud().running.services.placement
    const uuid = '4f1b6c0e-5a7d-4c47-9a4e-8f0b3d6f2a11'
    assert.equal(await placement.ensureResourceProvider(uuid, 'contract-host'), 0)
    assert.equal(await placement.ensureResourceProvider(uuid, 'contract-host'), 0)
    await placement.setInventories(uuid, { VCPU: { total: 2 }, MEMORY_MB: { total: 1024 } })
    await placement.setTraits(uuid, ['COMPUTE_RESCUE_BFV', 'CUSTOM_CONTRACT'])
    assert.deepEqual(await placement.getTraits(uuid), ['COMPUTE_RESCUE_BFV', 'CUSTOM_CONTRACT'])
    const candidates = await placement.getAllocationCandidates({ resources: { VCPU: 2 }, required: ['CUSTOM_CONTRACT'] })
    assert.deepEqual(candidates, [{ providerUuid: uuid, providerName: 'contract-host', allocations: { VCPU: 2 }, traits: ['COMPUTE_RESCUE_BFV', 'CUSTOM_CONTRACT'] }])
    assert.deepEqual(await placement.getAllocationCandidates({ resources: { VCPU: 1 }, required: ['CUSTOM_CONTRACT'], forbidden: ['COMPUTE_RESCUE_BFV'] }), [])
    const c = consumer()
    assert.equal(await placement.claimAllocation(c, uuid, { VCPU: 2 }, 'p', 'u'), true)
    assert.equal(await placement.claimAllocation(consumer(), uuid, { VCPU: 1 }, 'p', 'u'), false)
    assert.deepEqual(await placement.getAllocationCandidates({ resources: { VCPU: 1 }, required: ['CUSTOM_CONTRACT'] }), [])
    await placement.deleteAllocations(c)
    await placement.deleteAllocations(c)
    assert.equal((await placement.getAllocationCandidates({ resources: { VCPU: 1 }, required: ['CUSTOM_CONTRACT'] })).length, 1)
    await assert.rejects(placement.getTraits('00000000-0000-0000-0000-00000000dead'), /No resource provider/)
  })
})
