import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { LATEST, consumer, createHost, placementError } from './placement-helpers.js'

describeEachDialect('placement allocations and usages', (cloud) => {
  test('PUT/GET/DELETE allocations at 1.39 with consumer generations and types', async () => {
    const admin = cloud().admin
    const host = await createHost(admin, 'alloc-host', { VCPU: { total: 4 }, MEMORY_MB: { total: 2048 } })
    const c = consumer()
    const body = (gen: number | null, vcpu: number) => ({
      allocations: { [host.uuid]: { resources: { VCPU: vcpu, MEMORY_MB: 512 } } }, project_id: 'proj-a', user_id: 'user-a', consumer_generation: gen, consumer_type: 'INSTANCE',
    })
    assert.equal((await admin.request('PUT', `/placement/allocations/${c}`, { body: body(null, 1), microversion: LATEST })).status, 204)
    const got = await admin.request('GET', `/placement/allocations/${c}`, { microversion: LATEST })
    assert.deepEqual(got.body, {
      allocations: { [host.uuid]: { generation: host.generation + 1, resources: { MEMORY_MB: 512, VCPU: 1 } } },
      project_id: 'proj-a', user_id: 'user-a', consumer_generation: 1, consumer_type: 'INSTANCE',
    })
    const again = await admin.request('PUT', `/placement/allocations/${c}`, { body: body(null, 2), microversion: LATEST })
    assert.equal(again.status, 409)
    assert.equal(placementError(again.body).code, 'placement.concurrent_update')
    assert.match(placementError(again.body).detail, /consumer generation conflict - expected 1 but got null/)
    assert.equal((await admin.request('PUT', `/placement/allocations/${c}`, { body: body(1, 2), microversion: LATEST })).status, 204)
    const at112 = await admin.request('GET', `/placement/allocations/${c}`, { microversion: '1.12' })
    assert.deepEqual(Object.keys(at112.body).sort(), ['allocations', 'project_id', 'user_id'])
    const at10 = await admin.request('GET', `/placement/allocations/${c}`, { microversion: '1.0' })
    assert.deepEqual(Object.keys(at10.body), ['allocations'])
    const byProvider = await admin.request('GET', `/placement/resource_providers/${host.uuid}/allocations`, { microversion: LATEST })
    assert.deepEqual(byProvider.body.allocations[c], { resources: { MEMORY_MB: 512, VCPU: 2 }, consumer_generation: 2 })
    assert.equal((await admin.request('DELETE', `/placement/allocations/${c}`, { microversion: LATEST })).status, 204)
    assert.deepEqual((await admin.request('GET', `/placement/allocations/${c}`, { microversion: LATEST })).body, { allocations: {} })
    const again404 = await admin.request('DELETE', `/placement/allocations/${c}`, { microversion: LATEST })
    assert.equal(again404.status, 404)
    assert.match(placementError(again404.body).detail, /No allocations for consumer/)
  })

  test('over-capacity allocations are 409 and write nothing', async () => {
    const admin = cloud().admin
    const host = await createHost(admin, 'cap-host', { VCPU: { total: 4, reserved: 1, allocation_ratio: 2.0 }, MEMORY_MB: { total: 1024, max_unit: 512, step_size: 256 } })
    const put = (c: string, resources: Record<string, number>) => admin.request('PUT', `/placement/allocations/${c}`, {
      body: { allocations: { [host.uuid]: { resources } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' }, microversion: LATEST,
    })
    assert.equal((await put(consumer(), { VCPU: 6 })).status, 204)
    const over = await put(consumer(), { VCPU: 1, MEMORY_MB: 256 })
    assert.equal(over.status, 409)
    assert.match(placementError(over.body).detail, /Unable to allocate inventory: Unable to create allocation for 'VCPU' on resource provider '.*'. The requested amount would exceed the capacity./)
    const step = await put(consumer(), { MEMORY_MB: 300 })
    assert.equal(step.status, 409)
    assert.match(placementError(step.body).detail, /would violate inventory constraints/)
    const maxUnit = await put(consumer(), { MEMORY_MB: 768 })
    assert.equal(maxUnit.status, 409)
    const noInventory = await put(consumer(), { DISK_GB: 1 })
    assert.equal(noInventory.status, 409)
    const usages = await admin.request('GET', `/placement/resource_providers/${host.uuid}/usages`, { microversion: LATEST })
    assert.deepEqual(usages.body.usages, { MEMORY_MB: 0, VCPU: 6 })
  })

  test('bad allocation bodies are 400: unknown class, unknown provider, old body shape, malformed consumer', async () => {
    const admin = cloud().admin
    const host = await createHost(admin, 'bad-alloc-host', { VCPU: { total: 4 } })
    const put = (c: string, b: unknown, mv = LATEST) => admin.request('PUT', `/placement/allocations/${c}`, { body: b, microversion: mv })
    const unknownClass = await put(consumer(), { allocations: { [host.uuid]: { resources: { CUSTOM_NOPE: 1 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' })
    assert.equal(unknownClass.status, 400)
    assert.match(placementError(unknownClass.body).detail, /No such resource class CUSTOM_NOPE/)
    const unknownProvider = await put(consumer(), { allocations: { '00000000-0000-0000-0000-000000000001': { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' })
    assert.equal(unknownProvider.status, 400)
    const missingType = await put(consumer(), { allocations: { [host.uuid]: { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u', consumer_generation: null })
    assert.equal(missingType.status, 400)
    assert.equal((await put('not-a-uuid', { allocations: {}, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'X' })).status, 400)
    const listForm = await put(consumer(), { allocations: [{ resource_provider: { uuid: host.uuid }, resources: { VCPU: 1 } }] }, '1.0')
    assert.equal(listForm.status, 204)
    const dictAt10 = await put(consumer(), { allocations: { [host.uuid]: { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u' }, '1.0')
    assert.equal(dictAt10.status, 400)
  })

  test('POST /allocations writes several consumers at once, all or nothing', async () => {
    const admin = cloud().admin
    const host = await createHost(admin, 'post-host', { VCPU: { total: 4 } })
    const [a, b] = [consumer(), consumer()]
    const entry = (vcpu: number) => ({ allocations: { [host.uuid]: { resources: { VCPU: vcpu } } }, project_id: 'proj-post', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' })
    const tooMuch = await admin.request('POST', '/placement/allocations', { body: { [a]: entry(3), [b]: entry(2) }, microversion: LATEST })
    assert.equal(tooMuch.status, 409)
    assert.deepEqual((await admin.request('GET', `/placement/allocations/${a}`, { microversion: LATEST })).body, { allocations: {} })
    const ok = await admin.request('POST', '/placement/allocations', { body: { [a]: entry(3), [b]: entry(1) }, microversion: LATEST })
    assert.equal(ok.status, 204, ok.text)
    assert.equal((await admin.request('POST', '/placement/allocations', { body: {}, microversion: '1.12' })).status, 404)
    const usages = await admin.request('GET', '/placement/usages?project_id=proj-post', { microversion: '1.9' })
    assert.deepEqual(usages.body, { usages: { VCPU: 4 } })
    const byType = await admin.request('GET', '/placement/usages?project_id=proj-post&user_id=u', { microversion: LATEST })
    assert.deepEqual(byType.body, { usages: { INSTANCE: { VCPU: 4, consumer_count: 2 } } })
    const none = await admin.request('GET', '/placement/usages?project_id=proj-post&user_id=nobody', { microversion: LATEST })
    assert.deepEqual(none.body, { usages: {} })
    assert.equal((await admin.request('GET', '/placement/usages', { microversion: LATEST })).status, 400)
  })

  test('reshaper moves inventory and allocations in one step (1.30)', async () => {
    const admin = cloud().admin
    const host = await createHost(admin, 'reshape-host', { VCPU: { total: 4 } })
    const c = consumer()
    await admin.request('PUT', `/placement/allocations/${c}`, { body: { allocations: { [host.uuid]: { resources: { VCPU: 2 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' }, microversion: LATEST })
    const gen = (await admin.request('GET', `/placement/resource_providers/${host.uuid}`, { microversion: LATEST })).body.generation
    const res = await admin.request('POST', '/placement/reshaper', {
      body: {
        inventories: { [host.uuid]: { resource_provider_generation: gen, inventories: { PCPU: { total: 4 } } } },
        allocations: { [c]: { allocations: { [host.uuid]: { resources: { PCPU: 2 } } }, project_id: 'p', user_id: 'u', consumer_generation: 1, consumer_type: 'INSTANCE' } },
      },
      microversion: LATEST,
    })
    assert.equal(res.status, 204, res.text)
    const usages = await admin.request('GET', `/placement/resource_providers/${host.uuid}/usages`, { microversion: LATEST })
    assert.deepEqual(usages.body.usages, { PCPU: 2 })
  })
})
