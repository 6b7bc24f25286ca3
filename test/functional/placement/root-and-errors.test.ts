import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { LATEST, placementError } from './placement-helpers.js'

describeEachDialect('placement root, microversions and errors', (cloud) => {
  test('GET /placement/ is public and lists 1.0 to 1.39', async () => {
    const res = await cloud().request('GET', '/placement/')
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { versions: [{ id: 'v1.0', max_version: '1.39', min_version: '1.0', status: 'CURRENT', links: [{ rel: 'self', href: '' }] }] })
    assert.equal(res.headers.get('openstack-api-version'), 'placement 1.0')
    assert.match(res.headers.get('vary') ?? '', /OpenStack-API-Version/i)
    const bare = await cloud().request('GET', '/placement')
    assert.equal(bare.status, 200)
  })

  test('latest negotiates 1.39; 1.15+ responses carry cache-control and last-modified', async () => {
    const res = await cloud().admin.request('GET', '/placement/resource_providers', { microversion: 'latest' })
    assert.equal(res.headers.get('openstack-api-version'), 'placement 1.39')
    assert.equal(res.headers.get('cache-control'), 'no-cache')
    assert.ok(res.headers.get('last-modified'))
  })

  test('a microversion above the max is 406 in the placement envelope with the bounds', async () => {
    const res = await cloud().request('GET', '/placement/', { microversion: '1.40' })
    assert.equal(res.status, 406)
    const error = placementError(res.body)
    assert.equal(error.title, 'Not Acceptable')
    assert.match(error.detail, /Unacceptable version header: 1.40/)
    assert.equal((error as any).max_version, '1.39')
    assert.equal((error as any).min_version, '1.0')
    assert.ok(error.request_id.startsWith('req-'))
  })

  test('a malformed microversion is 400', async () => {
    const res = await cloud().request('GET', '/placement/', { headers: { 'openstack-api-version': 'placement pony.horse' } })
    assert.equal(res.status, 400)
    assert.match(placementError(res.body).detail, /invalid version string: pony.horse/)
  })

  test('no token is 401 and a member is refused with 403 (admin-only policy)', async () => {
    const anonymous = await cloud().request('GET', '/placement/resource_providers')
    assert.equal(anonymous.status, 401)
    assert.equal(placementError(anonymous.body).status, 401)
    const demo = await cloud().demo.request('GET', '/placement/resource_providers', { microversion: LATEST })
    assert.equal(demo.status, 403)
    const error = placementError(demo.body)
    assert.match(error.detail, /Policy does not allow placement:resource_providers:list to be performed\./)
    assert.equal(error.code, 'placement.undefined_code')
    const create = await cloud().demo.request('POST', '/placement/resource_providers', { body: { name: 'sneaky' }, microversion: LATEST })
    assert.equal(create.status, 403)
    const list = await cloud().admin.request('GET', '/placement/resource_providers?name=sneaky', { microversion: LATEST })
    assert.deepEqual(list.body.resource_providers, [])
  })

  test('errors carry a code only from 1.23', async () => {
    const old = await cloud().admin.request('GET', '/placement/resource_providers/nope', { microversion: '1.22' })
    assert.equal(old.status, 404)
    assert.equal(placementError(old.body).code, undefined)
    const recent = await cloud().admin.request('GET', '/placement/resource_providers/nope', { microversion: '1.23' })
    assert.equal(placementError(recent.body).code, 'placement.resource_provider.not_found')
  })

  test('malformed JSON is 400, a wrong content type 415, an unknown method 405 with Allow', async () => {
    const admin = cloud().admin
    const bad = await admin.request('POST', '/placement/resource_providers', { rawBody: '{"name": ', contentType: 'application/json', microversion: LATEST })
    assert.equal(bad.status, 400)
    assert.match(placementError(bad.body).detail, /Malformed JSON/)
    const text = await admin.request('POST', '/placement/resource_providers', { rawBody: 'name=x', contentType: 'text/plain', microversion: LATEST })
    assert.equal(text.status, 415)
    assert.match(placementError(text.body).detail, /The media type text\/plain is not supported, use application\/json/)
    const patch = await admin.request('PATCH', '/placement/resource_providers', { body: {}, microversion: LATEST })
    assert.equal(patch.status, 405)
    assert.equal(patch.headers.get('allow'), 'GET, POST')
    const unknown = await admin.request('GET', '/placement/nothing-here', { microversion: LATEST })
    assert.equal(unknown.status, 404)
    placementError(unknown.body)
  })

  test('routes newer than the requested microversion are 404', async () => {
    const admin = cloud().admin
    assert.equal((await admin.request('GET', '/placement/traits', { microversion: '1.5' })).status, 404)
    assert.equal((await admin.request('GET', '/placement/resource_classes', { microversion: '1.1' })).status, 404)
    assert.equal((await admin.request('GET', '/placement/allocation_candidates?resources=VCPU:1', { microversion: '1.9' })).status, 404)
    assert.equal((await admin.request('GET', '/placement/usages?project_id=x', { microversion: '1.8' })).status, 404)
  })
})
