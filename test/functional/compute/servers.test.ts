import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, instanceRow, waitForDeleted, waitForStatus } from '../../helpers/compute.js'

describeEachDialect('compute servers', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })

  test('a server boots to ACTIVE on the fake driver with Nova\'s create answer', async () => {
    const res = await cloud().demo.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'web-1', imageRef: imageId, flavorRef: '1', metadata: { role: 'web' } } } })
    assert.equal(res.status, 202)
    assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-/)
    assert.equal(res.headers.get('location'), `${cloud().url}/compute/v2.1/servers/${res.body.server.id}`)
    assert.equal(typeof res.body.server.adminPass, 'string')
    assert.deepEqual(res.body.server.security_groups, [{ name: 'default' }])
    const server = await waitForStatus(cloud().demo, res.body.server.id, 'ACTIVE')
    assert.equal(server['OS-EXT-STS:vm_state'], 'active')
    assert.equal(server['OS-EXT-STS:power_state'], 1)
    assert.deepEqual(server.metadata, { role: 'web' })
    assert.equal(server.image.id, imageId)
    assert.equal(server['OS-EXT-SRV-ATTR:host'], undefined, 'host is admin-only')
    const asAdmin = await cloud().admin.request('GET', `/compute/v2.1/servers/${server.id}`)
    assert.equal(asAdmin.body.server['OS-EXT-SRV-ATTR:host'], 'lifeboat-compute-1')
  })

  test('views follow the microversion: locked (2.9), description (2.19), tags (2.26), embedded flavor (2.47), locked_reason (2.73)', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId, networks: 'none', description: 'd', tags: ['a'] }, '2.87')
    const old = (await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}`)).body.server
    assert.equal(old.locked, undefined)
    assert.equal(old.description, undefined)
    assert.deepEqual(Object.keys(old.flavor).sort(), ['id', 'links'])
    const v287 = (await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}`, { microversion: '2.87' }))
    assert.equal(v287.headers.get('openstack-api-version'), 'compute 2.87')
    assert.equal(v287.headers.get('x-openstack-nova-api-version'), '2.87')
    const s = v287.body.server
    assert.equal(s.locked, false)
    assert.equal(s.locked_reason, null)
    assert.equal(s.description, 'd')
    assert.deepEqual(s.tags, ['a'])
    assert.equal(s.flavor.original_name, 'm1.tiny')
    assert.equal(s.flavor.id, undefined)
    assert.deepEqual(s.server_groups, [])
    assert.equal(s.trusted_image_certificates, null)
  })

  test('networks is required from 2.37 and description is refused before 2.19', async () => {
    const missing = await cloud().demo.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'x', imageRef: imageId, flavorRef: '1' } }, microversion: '2.37' })
    assert.equal(missing.status, 400)
    assert.equal(missing.body.badRequest.code, 400)
    const early = await cloud().demo.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'x', imageRef: imageId, flavorRef: '1', description: 'no' } } })
    assert.equal(early.status, 400)
  })

  test('bad create input is a 400 and creates nothing', async () => {
    const before = await cloud().demo.request('GET', '/compute/v2.1/servers')
    for (const server of [
      { name: 'x', imageRef: imageId, flavorRef: 'no-such-flavor' },
      { name: 'x', imageRef: '00000000-0000-0000-0000-000000000000', flavorRef: '1' },
      { name: '', imageRef: imageId, flavorRef: '1' },
      { name: 'x', imageRef: imageId, flavorRef: '1', unknown: 1 },
      { name: 'x', imageRef: imageId, flavorRef: '1', key_name: 'nope' },
      { name: 'x', imageRef: imageId, flavorRef: '1', availability_zone: 'mars' },
    ]) {
      const res = await cloud().demo.request('POST', '/compute/v2.1/servers', { body: { server } })
      assert.equal(res.status, 400, `${JSON.stringify(server)} → ${res.text}`)
      assert.equal(typeof res.body.badRequest.message, 'string')
    }
    const malformed = await cloud().demo.request('POST', '/compute/v2.1/servers', { rawBody: '{"server": {', contentType: 'application/json' })
    assert.equal(malformed.status, 400)
    const after = await cloud().demo.request('GET', '/compute/v2.1/servers')
    assert.equal(after.body.servers.length, before.body.servers.length)
  })

  test('another project\'s server is a 404, for show, actions and delete', async () => {
    const server = await bootServer(cloud().admin, { imageRef: imageId })
    for (const [method, suffix, body] of [['GET', '', undefined], ['DELETE', '', undefined], ['POST', '/action', { 'os-stop': null }], ['GET', '/os-instance-actions', undefined]] as const) {
      const res = await cloud().demo.request(method, `/compute/v2.1/servers/${server.id}${suffix}`, { body })
      assert.equal(res.status, 404, `${method} ${suffix}`)
      assert.equal(res.body.itemNotFound.code, 404)
    }
    assert.equal((await instanceRow(cloud(), server.id)).vm_state, 'active')
    const list = await cloud().demo.request('GET', '/compute/v2.1/servers/detail')
    assert.ok(!list.body.servers.some((s: { id: string }) => s.id === server.id))
  })

  test('list and detail filter by name, status and page with limit and marker', async () => {
    const a = await bootServer(cloud().demo, { imageRef: imageId, name: 'page-a' })
    const b = await bootServer(cloud().demo, { imageRef: imageId, name: 'page-b' })
    const byName = await cloud().demo.request('GET', '/compute/v2.1/servers?name=page-')
    assert.deepEqual(byName.body.servers.map((s: { name: string }) => s.name).sort(), ['page-a', 'page-b'])
    const first = await cloud().demo.request('GET', '/compute/v2.1/servers/detail?name=page-&limit=1')
    assert.equal(first.body.servers.length, 1)
    assert.equal(first.body.servers[0].id, b.id, 'newest first')
    assert.match(first.body.servers_links[0].href, new RegExp(`marker=${b.id}`))
    const second = await cloud().demo.request('GET', `/compute/v2.1/servers/detail?name=page-&limit=1&marker=${b.id}`)
    assert.equal(second.body.servers[0].id, a.id)
    const shutoff = await cloud().demo.request('GET', '/compute/v2.1/servers?status=SHUTOFF&name=page-')
    assert.deepEqual(shutoff.body.servers, [])
    const badMarker = await cloud().demo.request('GET', '/compute/v2.1/servers?marker=nope')
    assert.equal(badMarker.status, 400)
  })

  test('update renames; delete removes the server and frees its allocation', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const renamed = await cloud().demo.request('PUT', `/compute/v2.1/servers/${server.id}`, { body: { server: { name: 'renamed' } } })
    assert.equal(renamed.status, 200)
    assert.equal(renamed.body.server.name, 'renamed')
    assert.equal(renamed.body.server['OS-EXT-STS:vm_state'], undefined, 'update answers the reduced view before 2.75')
    const del = await cloud().demo.request('DELETE', `/compute/v2.1/servers/${server.id}`)
    assert.equal(del.status, 204)
    await waitForDeleted(cloud().demo, server.id)
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.deleted, 1)
    assert.equal(row.vm_state, 'deleted')
    // The allocation is freed right after the instance row is marked deleted.
    let allocations: object = { pending: true }
    for (let i = 0; i < 100 && Object.keys(allocations).length > 0; i++) {
      allocations = (await cloud().admin.request('GET', `/placement/allocations/${server.id}`)).body.allocations
      if (Object.keys(allocations).length > 0) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.deepEqual(allocations, {})
  })

  test('a flavor requiring a trait no host has ends in ERROR with "No valid host was found"', async () => {
    const flavor = await cloud().admin.request('POST', '/compute/v2.1/flavors', { body: { flavor: { name: 'needs-gpu', ram: 256, vcpus: 1, disk: 1 } } })
    assert.equal(flavor.status, 200, flavor.text)
    await cloud().admin.request('POST', `/compute/v2.1/flavors/${flavor.body.flavor.id}/os-extra_specs`, { body: { extra_specs: { 'trait:CUSTOM_GPU': 'required' } } })
    const res = await cloud().admin.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'gpu', imageRef: imageId, flavorRef: flavor.body.flavor.id } } })
    const server = await waitForStatus(cloud().admin, res.body.server.id, 'ERROR')
    assert.match(server.fault.message, /No valid host was found/)
    assert.equal(server['OS-EXT-SRV-ATTR:host'], null)
    const deleted = await cloud().admin.request('DELETE', `/compute/v2.1/servers/${server.id}`)
    assert.equal(deleted.status, 204)
    await waitForDeleted(cloud().admin, server.id)
  })

  test('a microversion above the max is 406 and a malformed one 400, in Nova\'s envelope', async () => {
    const high = await cloud().demo.request('GET', '/compute/v2.1/servers', { microversion: '2.999' })
    assert.equal(high.status, 406)
    assert.equal(high.body.computeFault?.code ?? high.body[Object.keys(high.body)[0]!].code, 406)
    const bad = await cloud().demo.request('GET', '/compute/v2.1/servers', { headers: { 'openstack-api-version': 'compute two' } })
    assert.equal(bad.status, 400)
    const versions = await cloud().request('GET', '/compute/v2.1')
    assert.equal(versions.body.version.version, '2.87')
    assert.equal(versions.body.version.min_version, '2.1')
  })

  test('instance actions list every action with its events', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { 'os-stop': null })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    const list = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`)
    assert.deepEqual(list.body.instanceActions.map((a: { action: string }) => a.action), ['stop', 'create'])
    const stop = list.body.instanceActions[0]
    const show = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${stop.request_id}`)
    assert.deepEqual(show.body.instanceAction.events.map((e: { event: string; result: string }) => [e.event, e.result]), [['compute_stop_instance', 'Success']])
  })
})
