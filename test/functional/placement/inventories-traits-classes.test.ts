import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { LATEST, consumer, createHost, createProvider, placementError } from './placement-helpers.js'

describeEachDialect('placement inventories, traits and resource classes', (cloud) => {
  test('PUT inventories fills the defaults and bumps the generation; a stale generation is 409', async () => {
    const admin = cloud().admin
    const rp = await createProvider(admin, 'inv-host')
    const url = `/placement/resource_providers/${rp.uuid}/inventories`
    const put = await admin.request('PUT', url, {
      body: { resource_provider_generation: 0, inventories: { VCPU: { total: 8, allocation_ratio: 16.0 }, MEMORY_MB: { total: 4096, reserved: 512, max_unit: 4096 }, DISK_GB: { total: 100, step_size: 10 } } },
      microversion: LATEST,
    })
    assert.equal(put.status, 200, put.text)
    assert.equal(put.body.resource_provider_generation, 1)
    assert.deepEqual(put.body.inventories.VCPU, { total: 8, reserved: 0, min_unit: 1, max_unit: 2147483647, step_size: 1, allocation_ratio: 16 })
    const get = await admin.request('GET', url, { microversion: LATEST })
    assert.deepEqual(get.body, put.body)
    const one = await admin.request('GET', `${url}/MEMORY_MB`, { microversion: LATEST })
    assert.deepEqual(one.body, { total: 4096, reserved: 512, min_unit: 1, max_unit: 4096, step_size: 1, allocation_ratio: 1, resource_provider_generation: 1 })
    const stale = await admin.request('PUT', url, { body: { resource_provider_generation: 0, inventories: {} }, microversion: LATEST })
    assert.equal(stale.status, 409)
    assert.equal(placementError(stale.body).code, 'placement.concurrent_update')
    assert.equal((await admin.request('GET', url, { microversion: LATEST })).body.resource_provider_generation, 1)
    const update = await admin.request('PUT', `${url}/VCPU`, { body: { resource_provider_generation: 1, total: 16 }, microversion: LATEST })
    assert.equal(update.status, 200)
    assert.equal(update.body.total, 16)
    assert.equal(update.body.resource_provider_generation, 2)
    const staleOne = await admin.request('PUT', `${url}/VCPU`, { body: { resource_provider_generation: 1, total: 4 }, microversion: LATEST })
    assert.equal(staleOne.status, 409)
    const missing = await admin.request('PUT', `${url}/PCI_DEVICE`, { body: { resource_provider_generation: 2, total: 4 }, microversion: LATEST })
    assert.equal(missing.status, 400)
    const delOne = await admin.request('DELETE', `${url}/DISK_GB`, { microversion: LATEST })
    assert.equal(delOne.status, 204)
    assert.deepEqual(Object.keys((await admin.request('GET', url, { microversion: LATEST })).body.inventories).sort(), ['MEMORY_MB', 'VCPU'])
    const created = await admin.request('POST', url, { body: { resource_class: 'DISK_GB', total: 50 }, microversion: LATEST })
    assert.equal(created.status, 201, created.text)
    assert.equal(created.headers.get('location'), `${cloud().url}${url}/DISK_GB`)
    const delAll = await admin.request('DELETE', url, { microversion: LATEST })
    assert.equal(delAll.status, 204)
    assert.deepEqual((await admin.request('GET', url, { microversion: LATEST })).body.inventories, {})
    assert.equal((await admin.request('DELETE', url, { microversion: '1.4' })).status, 405)
  })

  test('bad inventories are 400 and change nothing: unknown class, reserved over total, bad numbers', async () => {
    const admin = cloud().admin
    const rp = await createProvider(admin, 'inv-bad')
    const url = `/placement/resource_providers/${rp.uuid}/inventories`
    const unknown = await admin.request('PUT', url, { body: { resource_provider_generation: 0, inventories: { CUSTOM_NOPE: { total: 1 } } }, microversion: LATEST })
    assert.equal(unknown.status, 400)
    assert.match(placementError(unknown.body).detail, /Unknown resource class in inventory for resource provider .*: No such resource class CUSTOM_NOPE\./)
    const reserved = await admin.request('PUT', url, { body: { resource_provider_generation: 0, inventories: { VCPU: { total: 4, reserved: 4 } } }, microversion: '1.25' })
    assert.equal(reserved.status, 400)
    assert.match(placementError(reserved.body).detail, /The reserved value is greater than or equal to total/)
    const equalOk = await admin.request('PUT', url, { body: { resource_provider_generation: 0, inventories: { VCPU: { total: 4, reserved: 4 } } }, microversion: '1.26' })
    assert.equal(equalOk.status, 200)
    const zero = await admin.request('PUT', url, { body: { resource_provider_generation: 1, inventories: { VCPU: { total: 0 } } }, microversion: LATEST })
    assert.equal(zero.status, 400)
    const text = await admin.request('PUT', url, { body: { resource_provider_generation: 1, inventories: { VCPU: { total: '4' } } }, microversion: LATEST })
    assert.equal(text.status, 400)
    assert.equal((await admin.request('GET', url, { microversion: LATEST })).body.resource_provider_generation, 1)
  })

  test('removing an inventory that has allocations is 409; shrinking below usage is accepted as Placement does', async () => {
    const admin = cloud().admin
    const host = await createHost(admin, 'inv-used', { VCPU: { total: 4 }, MEMORY_MB: { total: 1024 } })
    const c = consumer()
    const alloc = await admin.request('PUT', `/placement/allocations/${c}`, {
      body: { allocations: { [host.uuid]: { resources: { VCPU: 3 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' }, microversion: LATEST,
    })
    assert.equal(alloc.status, 204)
    const url = `/placement/resource_providers/${host.uuid}/inventories`
    let gen = (await admin.request('GET', url, { microversion: LATEST })).body.resource_provider_generation
    const drop = await admin.request('PUT', url, { body: { resource_provider_generation: gen, inventories: { MEMORY_MB: { total: 1024 } } }, microversion: LATEST })
    assert.equal(drop.status, 409)
    assert.equal(placementError(drop.body).code, 'placement.inventory.inuse')
    const delOne = await admin.request('DELETE', `${url}/VCPU`, { microversion: LATEST })
    assert.equal(delOne.status, 409)
    const delAll = await admin.request('DELETE', url, { microversion: LATEST })
    assert.equal(delAll.status, 409)
    assert.equal(placementError(delAll.body).code, 'placement.inventory.inuse')
    gen = (await admin.request('GET', url, { microversion: LATEST })).body.resource_provider_generation
    const shrink = await admin.request('PUT', url, { body: { resource_provider_generation: gen, inventories: { VCPU: { total: 2 }, MEMORY_MB: { total: 1024 } } }, microversion: LATEST })
    assert.equal(shrink.status, 200)
    const more = await admin.request('PUT', `/placement/allocations/${consumer()}`, {
      body: { allocations: { [host.uuid]: { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' }, microversion: LATEST,
    })
    assert.equal(more.status, 409)
  })

  test('traits: list with filters, only CUSTOM_ may be created, standard ones are seeded', async () => {
    const admin = cloud().admin
    const all = await admin.request('GET', '/placement/traits', { microversion: LATEST })
    for (const t of ['COMPUTE_RESCUE_BFV', 'COMPUTE_STORAGE_BUS_VIRTIO', 'COMPUTE_STORAGE_BUS_SCSI', 'COMPUTE_NODE', 'COMPUTE_STATUS_DISABLED', 'HW_CPU_X86_AVX2', 'COMPUTE_GRAPHICS_MODEL_VGA', 'COMPUTE_NET_ATTACH_INTERFACE']) {
      assert.ok(all.body.traits.includes(t), t)
    }
    const some = await admin.request('GET', '/placement/traits?name=in:COMPUTE_RESCUE_BFV,COMPUTE_NODE,NOT_A_TRAIT', { microversion: LATEST })
    assert.deepEqual(some.body.traits, ['COMPUTE_NODE', 'COMPUTE_RESCUE_BFV'])
    const bus = await admin.request('GET', '/placement/traits?name=startswith:COMPUTE_STORAGE_BUS_', { microversion: LATEST })
    assert.deepEqual(bus.body.traits, ['COMPUTE_STORAGE_BUS_FDC', 'COMPUTE_STORAGE_BUS_IDE', 'COMPUTE_STORAGE_BUS_SATA', 'COMPUTE_STORAGE_BUS_SCSI', 'COMPUTE_STORAGE_BUS_USB', 'COMPUTE_STORAGE_BUS_VIRTIO'])
    const badFilter = await admin.request('GET', '/placement/traits?name=COMPUTE', { microversion: LATEST })
    assert.equal(badFilter.status, 400)
    const nonCustom = await admin.request('PUT', '/placement/traits/MY_TRAIT', { microversion: LATEST })
    assert.equal(nonCustom.status, 400)
    assert.match(placementError(nonCustom.body).detail, /start with the prefix "CUSTOM_"/)
    const created = await admin.request('PUT', '/placement/traits/CUSTOM_GOLD', { microversion: LATEST })
    assert.equal(created.status, 201)
    assert.equal(created.headers.get('location'), `${cloud().url}/placement/traits/CUSTOM_GOLD`)
    assert.equal((await admin.request('PUT', '/placement/traits/CUSTOM_GOLD', { microversion: LATEST })).status, 204)
    assert.equal((await admin.request('GET', '/placement/traits/CUSTOM_GOLD', { microversion: LATEST })).status, 204)
    assert.equal((await admin.request('GET', '/placement/traits/CUSTOM_NOPE', { microversion: LATEST })).status, 404)
    assert.equal((await admin.request('DELETE', '/placement/traits/COMPUTE_NODE', { microversion: LATEST })).status, 400)
    assert.equal((await admin.request('DELETE', '/placement/traits/CUSTOM_GOLD', { microversion: LATEST })).status, 204)
  })

  test('provider traits: set, list, generation conflict, unknown trait 400, in-use trait cannot be deleted, clear', async () => {
    const admin = cloud().admin
    const rp = await createProvider(admin, 'trait-host')
    await admin.request('PUT', '/placement/traits/CUSTOM_SILVER', { microversion: LATEST })
    const url = `/placement/resource_providers/${rp.uuid}/traits`
    const set = await admin.request('PUT', url, { body: { resource_provider_generation: 0, traits: ['COMPUTE_RESCUE_BFV', 'CUSTOM_SILVER'] }, microversion: LATEST })
    assert.equal(set.status, 200)
    assert.deepEqual(set.body, { traits: ['COMPUTE_RESCUE_BFV', 'CUSTOM_SILVER'], resource_provider_generation: 1 })
    assert.deepEqual((await admin.request('GET', url, { microversion: LATEST })).body, set.body)
    const stale = await admin.request('PUT', url, { body: { resource_provider_generation: 0, traits: [] }, microversion: LATEST })
    assert.equal(stale.status, 409)
    assert.equal(placementError(stale.body).code, 'placement.concurrent_update')
    const unknown = await admin.request('PUT', url, { body: { resource_provider_generation: 1, traits: ['CUSTOM_NOPE'] }, microversion: LATEST })
    assert.equal(unknown.status, 400)
    assert.match(placementError(unknown.body).detail, /No such trait CUSTOM_NOPE/)
    const inUse = await admin.request('DELETE', '/placement/traits/CUSTOM_SILVER', { microversion: LATEST })
    assert.equal(inUse.status, 409)
    const associated = await admin.request('GET', '/placement/traits?associated=true&name=startswith:CUSTOM_SILVER', { microversion: LATEST })
    assert.deepEqual(associated.body.traits, ['CUSTOM_SILVER'])
    assert.equal((await admin.request('DELETE', url, { microversion: LATEST })).status, 204)
    assert.deepEqual((await admin.request('GET', url, { microversion: LATEST })).body, { traits: [], resource_provider_generation: 2 })
  })

  test('resource classes: standard list, show, PUT CUSTOM_ (201 then 204), bad names 400, delete', async () => {
    const admin = cloud().admin
    const list = await admin.request('GET', '/placement/resource_classes', { microversion: LATEST })
    assert.deepEqual(list.body.resource_classes.slice(0, 3), [
      { name: 'VCPU', links: [{ rel: 'self', href: '/placement/resource_classes/VCPU' }] },
      { name: 'MEMORY_MB', links: [{ rel: 'self', href: '/placement/resource_classes/MEMORY_MB' }] },
      { name: 'DISK_GB', links: [{ rel: 'self', href: '/placement/resource_classes/DISK_GB' }] },
    ])
    assert.equal((await admin.request('GET', '/placement/resource_classes/VCPU', { microversion: LATEST })).body.name, 'VCPU')
    assert.equal((await admin.request('GET', '/placement/resource_classes/CUSTOM_NOPE', { microversion: LATEST })).status, 404)
    const put = await admin.request('PUT', '/placement/resource_classes/CUSTOM_BAREMETAL', { microversion: LATEST })
    assert.equal(put.status, 201)
    assert.equal(put.headers.get('location'), `${cloud().url}/placement/resource_classes/CUSTOM_BAREMETAL`)
    assert.equal((await admin.request('PUT', '/placement/resource_classes/CUSTOM_BAREMETAL', { microversion: LATEST })).status, 204)
    assert.equal((await admin.request('PUT', '/placement/resource_classes/BAREMETAL', { microversion: LATEST })).status, 400)
    const post = await admin.request('POST', '/placement/resource_classes', { body: { name: 'CUSTOM_BAREMETAL' }, microversion: LATEST })
    assert.equal(post.status, 409)
    assert.equal((await admin.request('DELETE', '/placement/resource_classes/VCPU', { microversion: LATEST })).status, 400)
    assert.equal((await admin.request('DELETE', '/placement/resource_classes/CUSTOM_BAREMETAL', { microversion: LATEST })).status, 204)
  })
})
