import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { LATEST, consumer, createHost, createProvider, placementError } from './placement-helpers.js'

describeEachDialect('placement resource providers', (cloud) => {
  test('create, show, rename and delete a provider; the view follows the microversion', async () => {
    const admin = cloud().admin
    const uuid = randomUUID()
    const old = await admin.request('POST', '/placement/resource_providers', { body: { name: 'rp-old', uuid }, microversion: '1.19' })
    assert.equal(old.status, 201)
    assert.equal(old.text, '')
    assert.equal(old.headers.get('location'), `${cloud().url}/placement/resource_providers/${uuid}`)
    const at10 = await admin.request('GET', `/placement/resource_providers/${uuid}`, { microversion: '1.0' })
    assert.deepEqual(Object.keys(at10.body).sort(), ['generation', 'links', 'name', 'uuid'])
    assert.deepEqual(at10.body.links.map((l: any) => l.rel), ['self', 'inventories', 'usages'])
    const latest = await admin.request('GET', `/placement/resource_providers/${uuid}`, { microversion: LATEST })
    assert.equal(latest.body.parent_provider_uuid, null)
    assert.equal(latest.body.root_provider_uuid, uuid)
    assert.deepEqual(latest.body.links.map((l: any) => l.rel), ['self', 'inventories', 'usages', 'aggregates', 'traits', 'allocations'])
    const renamed = await admin.request('PUT', `/placement/resource_providers/${uuid}`, { body: { name: 'rp-renamed' }, microversion: LATEST })
    assert.equal(renamed.status, 200)
    assert.equal(renamed.body.name, 'rp-renamed')
    const del = await admin.request('DELETE', `/placement/resource_providers/${uuid}`, { microversion: LATEST })
    assert.equal(del.status, 204)
    const gone = await admin.request('GET', `/placement/resource_providers/${uuid}`, { microversion: LATEST })
    assert.equal(gone.status, 404)
    assert.match(placementError(gone.body).detail, new RegExp(`No resource provider with uuid ${uuid} found`))
  })

  test('a duplicate name is 409 placement.duplicate_name; bad bodies are 400', async () => {
    const admin = cloud().admin
    await createProvider(admin, 'rp-dup')
    const dup = await admin.request('POST', '/placement/resource_providers', { body: { name: 'rp-dup' }, microversion: LATEST })
    assert.equal(dup.status, 409)
    assert.equal(placementError(dup.body).code, 'placement.duplicate_name')
    assert.match(placementError(dup.body).detail, /Conflicting resource provider name: rp-dup already exists/)
    const noName = await admin.request('POST', '/placement/resource_providers', { body: { uuid: randomUUID() }, microversion: LATEST })
    assert.equal(noName.status, 400)
    assert.match(placementError(noName.body).detail, /JSON does not validate/)
    const extra = await admin.request('POST', '/placement/resource_providers', { body: { name: 'x', color: 'red' }, microversion: LATEST })
    assert.equal(extra.status, 400)
    const parentBefore114 = await admin.request('POST', '/placement/resource_providers', { body: { name: 'x', parent_provider_uuid: randomUUID() }, microversion: '1.13' })
    assert.equal(parentBefore114.status, 400)
  })

  test('nested providers: parent and root uuids, in_tree, no deleting a parent, re-parenting from 1.37', async () => {
    const admin = cloud().admin
    const root = await createProvider(admin, 'tree-root')
    const child = await createProvider(admin, 'tree-child', { parent_provider_uuid: root.uuid })
    assert.equal(child.parent_provider_uuid, root.uuid)
    assert.equal(child.root_provider_uuid, root.uuid)
    const missingParent = await admin.request('POST', '/placement/resource_providers', { body: { name: 'orphan', parent_provider_uuid: randomUUID() }, microversion: LATEST })
    assert.equal(missingParent.status, 400)
    assert.match(placementError(missingParent.body).detail, /parent provider UUID does not exist/)
    const tree = await admin.request('GET', `/placement/resource_providers?in_tree=${child.uuid}`, { microversion: LATEST })
    assert.deepEqual(tree.body.resource_providers.map((p: any) => p.name).sort(), ['tree-child', 'tree-root'])
    const delParent = await admin.request('DELETE', `/placement/resource_providers/${root.uuid}`, { microversion: LATEST })
    assert.equal(delParent.status, 409)
    assert.equal(placementError(delParent.body).code, 'placement.resource_provider.cannot_delete_parent')
    const unparent136 = await admin.request('PUT', `/placement/resource_providers/${child.uuid}`, { body: { name: 'tree-child', parent_provider_uuid: null }, microversion: '1.36' })
    assert.equal(unparent136.status, 400)
    assert.match(placementError(unparent136.body).detail, /un-parenting a provider is not currently allowed/)
    const unparent = await admin.request('PUT', `/placement/resource_providers/${child.uuid}`, { body: { name: 'tree-child', parent_provider_uuid: null }, microversion: '1.37' })
    assert.equal(unparent.status, 200)
    assert.equal(unparent.body.root_provider_uuid, child.uuid)
    const loop = await admin.request('PUT', `/placement/resource_providers/${root.uuid}`, { body: { name: 'tree-root', parent_provider_uuid: root.uuid }, microversion: '1.37' })
    assert.equal(loop.status, 400)
  })

  test('list filters: name, uuid, resources, required (with forbidden and in:), member_of', async () => {
    const admin = cloud().admin
    const a = await createHost(admin, 'filter-a', { VCPU: { total: 8 }, MEMORY_MB: { total: 4096 } }, ['CUSTOM_FAST', 'COMPUTE_RESCUE_BFV'])
    const b = await createHost(admin, 'filter-b', { VCPU: { total: 2 } }, ['CUSTOM_SLOW'])
    const names = async (qs: string, mv = LATEST) => {
      const res = await admin.request('GET', `/placement/resource_providers?${qs}`, { microversion: mv })
      assert.equal(res.status, 200, res.text)
      return res.body.resource_providers.map((p: any) => p.name).filter((n: string) => n.startsWith('filter-')).sort()
    }
    assert.deepEqual(await names('name=filter-a'), ['filter-a'])
    assert.deepEqual(await names(`uuid=${b.uuid}`), ['filter-b'])
    assert.deepEqual(await names('resources=VCPU:4'), ['filter-a'])
    assert.deepEqual(await names('resources=VCPU:1,MEMORY_MB:1'), ['filter-a'])
    assert.deepEqual(await names('required=CUSTOM_FAST'), ['filter-a'])
    assert.deepEqual(await names('required=!CUSTOM_FAST&resources=VCPU:1'), ['filter-b'])
    assert.deepEqual(await names('required=in:CUSTOM_FAST,CUSTOM_SLOW'), ['filter-a', 'filter-b'])
    const agg = randomUUID()
    const put = await admin.request('PUT', `/placement/resource_providers/${b.uuid}/aggregates`, { body: { aggregates: [agg], resource_provider_generation: b.generation }, microversion: LATEST })
    assert.equal(put.status, 200, put.text)
    assert.deepEqual(put.body, { aggregates: [agg], resource_provider_generation: b.generation + 1 })
    assert.deepEqual(await names(`member_of=${agg}`), ['filter-b'])
    assert.deepEqual(await names(`member_of=in:${agg},${randomUUID()}`), ['filter-b'])
    assert.deepEqual(await names(`member_of=!${agg}&required=CUSTOM_SLOW`), [])
    const stale = await admin.request('PUT', `/placement/resource_providers/${b.uuid}/aggregates`, { body: { aggregates: [], resource_provider_generation: b.generation }, microversion: LATEST })
    assert.equal(stale.status, 409)
    assert.equal(placementError(stale.body).code, 'placement.concurrent_update')
    const badClass = await admin.request('GET', '/placement/resource_providers?resources=CUSTOM_NOPE:1', { microversion: LATEST })
    assert.equal(badClass.status, 400)
    assert.match(placementError(badClass.body).detail, /Invalid resource class in resources parameter: No such resource class CUSTOM_NOPE/)
    const badTrait = await admin.request('GET', '/placement/resource_providers?required=CUSTOM_NOPE', { microversion: LATEST })
    assert.equal(badTrait.status, 400)
    const tooEarly = await admin.request('GET', '/placement/resource_providers?required=CUSTOM_FAST', { microversion: '1.17' })
    assert.equal(tooEarly.status, 400)
    const badAmount = await admin.request('GET', '/placement/resource_providers?resources=VCPU:0', { microversion: LATEST })
    assert.equal(badAmount.status, 400)
  })

  test('a provider with allocations cannot be deleted (409 placement.resource_provider.inuse)', async () => {
    const admin = cloud().admin
    const host = await createHost(admin, 'in-use-host', { VCPU: { total: 4 } })
    const c = consumer()
    const alloc = await admin.request('PUT', `/placement/allocations/${c}`, {
      body: { allocations: { [host.uuid]: { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' }, microversion: LATEST,
    })
    assert.equal(alloc.status, 204, alloc.text)
    const del = await admin.request('DELETE', `/placement/resource_providers/${host.uuid}`, { microversion: LATEST })
    assert.equal(del.status, 409)
    assert.equal(placementError(del.body).code, 'placement.resource_provider.inuse')
    assert.equal((await admin.request('GET', `/placement/resource_providers/${host.uuid}`, { microversion: LATEST })).status, 200)
  })
})
