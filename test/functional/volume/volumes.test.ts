import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { assertMatchesTempestSchema, skipWithoutTempest } from '../../helpers/tempest-schema.js'
import { createAvailableVolume, qemuInfo, v3, waitForStatus } from './volume-helpers.js'

const GIB = 1024 ** 3
const SCHEMA = 'tempest.lib.api_schema.response.volume'

describeEachDialect('volume service: versions, scoping and volumes', (cloud) => {
  test('/volume answers 300 and /volume/v3 200 with Cinder\'s versions document', async () => {
    const root = await cloud().request('GET', '/volume/')
    assert.equal(root.status, 300)
    const [version] = root.body.versions
    assert.equal(version.id, 'v3.0')
    assert.equal(version.status, 'CURRENT')
    assert.equal(version.version, '3.70')
    assert.equal(version.min_version, '3.0')
    assert.ok(version['media-types'][0].type.includes('volume+json'))
    assert.deepEqual(version.links.find((l: { rel: string }) => l.rel === 'self'), { rel: 'self', href: `${cloud().url}/volume/v3/` })
    const v3doc = await cloud().request('GET', '/volume/v3/')
    assert.equal(v3doc.status, 200)
    assert.deepEqual(v3doc.body, root.body)
  })

  test('the microversion is echoed, "latest" is 3.70 and out of range is 406', async () => {
    const admin = cloud().admin
    const plain = await admin.request('GET', `${v3(admin)}/volumes`)
    assert.equal(plain.headers.get('openstack-api-version'), 'volume 3.0')
    const latest = await admin.request('GET', `${v3(admin)}/volumes`, { microversion: 'latest' })
    assert.equal(latest.headers.get('openstack-api-version'), 'volume 3.70')
    const tooNew = await admin.request('GET', `${v3(admin)}/volumes`, { microversion: '3.71' })
    assert.equal(tooNew.status, 406)
    assert.equal(tooNew.body.computeFault?.code ?? Object.values(tooNew.body as object)[0].code, 406)
  })

  test('without a token the volume API is 401 in the Cinder envelope', async () => {
    const res = await cloud().request('GET', `/volume/v3/${cloud().admin.projectId}/volumes`)
    assert.equal(res.status, 401)
    assert.equal(res.body.unauthorized.code, 401)
  })

  test('a project id in the path other than the token\'s is a 400 "Malformed request url", for admins too', async () => {
    const { admin, demo } = cloud()
    const res = await demo.request('GET', `/volume/v3/${admin.projectId}/volumes`)
    assert.deepEqual(res.body, { badRequest: { code: 400, message: 'Malformed request url' } })
    const asAdmin = await admin.request('POST', `/volume/v3/${demo.projectId}/volumes`, { body: { volume: { size: 1 } } })
    assert.equal(asAdmin.status, 400)
    const rows = await cloud().running.database.db.selectFrom('volumes').select('id').where('project_id', '=', demo.projectId).execute()
    assert.equal(rows.length, 0)
  })

  test('from 3.67 the project id may be left out of the path; before it that path is 404', async () => {
    const demo = cloud().demo
    assert.equal((await demo.request('GET', '/volume/v3/volumes')).status, 404)
    const res = await demo.request('GET', '/volume/v3/volumes', { microversion: '3.67' })
    assert.equal(res.status, 200)
    assert.ok(Array.isArray(res.body.volumes))
  })

  test('an empty volume is created (202, creating), becomes available, and its file has the size asked for', async () => {
    const demo = cloud().demo
    const res = await demo.request('POST', `${v3(demo)}/volumes`, { body: { volume: { size: 1, name: 'v0', description: 'first' } } })
    assert.equal(res.status, 202)
    assert.equal(res.body.volume.status, 'creating')
    assert.equal(res.body.volume.bootable, 'false')
    assert.equal(res.body.volume.name, 'v0')
    const volume = await waitForStatus(demo, `${v3(demo)}/volumes/${res.body.volume.id}`, ['available'])
    assert.equal(volume['os-vol-tenant-attr:tenant_id'], demo.projectId)
    assert.equal(volume['os-vol-host-attr:host'], undefined)
    assert.equal(volume.volume_image_metadata, undefined)
    const record = await cloud().running.services.volumes.findVolume(volume.id)
    assert.equal(qemuInfo(record!.backingPath).virtualSize, 1 * GIB)
    assert.equal(record!.backingFormat, 'qcow2')
  })

  test('Tempest\'s display_name and display_description are taken as name and description', async () => {
    const demo = cloud().demo
    const res = await demo.request('POST', `${v3(demo)}/volumes`, { body: { volume: { size: 1, display_name: 'tempest-vol', display_description: 'd' } } })
    assert.equal(res.status, 202)
    assert.equal(res.body.volume.name, 'tempest-vol')
    assert.equal(res.body.volume.description, 'd')
    await waitForStatus(demo, `${v3(demo)}/volumes/${res.body.volume.id}`, ['available'])
  })

  test('cinderclient\'s body, with null for everything unset, makes a blank volume', async () => {
    const demo = cloud().demo
    const body = { volume: {
      size: 1, consistencygroup_id: null, snapshot_id: null, name: 'cc', description: null, volume_type: null,
      availability_zone: null, metadata: {}, imageRef: null, source_volid: null, backup_id: null,
    } }
    const res = await demo.request('POST', `${v3(demo)}/volumes`, { body })
    assert.equal(res.status, 202, res.text)
    assert.equal(res.body.volume.description, null)
    const volume = await waitForStatus(demo, `${v3(demo)}/volumes/${res.body.volume.id}`, ['available'])
    assert.equal(volume.bootable, 'false')
  })

  test('views match Tempest\'s volume schemas (create, show, list, detail, update)', { skip: skipWithoutTempest() }, async () => {
    const admin = cloud().admin
    const created = await admin.request('POST', `${v3(admin)}/volumes`, { body: { volume: { size: 1, name: 'schema-vol' } } })
    assertMatchesTempestSchema(`${SCHEMA}.volumes:create_volume`, created.status, created.body)
    const id = created.body.volume.id
    await waitForStatus(admin, `${v3(admin)}/volumes/${id}`, ['available'])
    const show = await admin.request('GET', `${v3(admin)}/volumes/${id}`)
    assertMatchesTempestSchema(`${SCHEMA}.volumes:show_volume`, show.status, show.body)
    assert.match(show.body.volume['os-vol-host-attr:host'], /.+@.+#.+/)
    const list = await admin.request('GET', `${v3(admin)}/volumes`)
    assertMatchesTempestSchema(`${SCHEMA}.volumes:list_volumes_no_detail`, list.status, list.body)
    const detail = await admin.request('GET', `${v3(admin)}/volumes/detail`)
    assertMatchesTempestSchema(`${SCHEMA}.volumes:list_volumes_with_detail`, detail.status, detail.body)
    const updated = await admin.request('PUT', `${v3(admin)}/volumes/${id}`, { body: { volume: { name: 'renamed', metadata: { a: '1' } } } })
    assertMatchesTempestSchema(`${SCHEMA}.volumes:update_volume`, updated.status, updated.body)
    assert.equal(updated.body.volume.name, 'renamed')
    assert.deepEqual(updated.body.volume.metadata, { a: '1' })
    const latest = await admin.request('GET', `${v3(admin)}/volumes/${id}`, { microversion: '3.70' })
    assertMatchesTempestSchema(`${SCHEMA}.v3_69.volumes:show_volume`, latest.status, latest.body)
    assert.equal(latest.body.volume.consumes_quota, true)
    const types = await admin.request('GET', `${v3(admin)}/types`)
    assertMatchesTempestSchema(`${SCHEMA}.volume_types:list_volume_types`, types.status, types.body)
    const limits = await admin.request('GET', `${v3(admin)}/limits`)
    assertMatchesTempestSchema(`${SCHEMA}.limits:show_limits`, limits.status, limits.body)
  })

  test('demo can\'t see admin\'s volume (404) and its list holds only its own', async () => {
    const { admin, demo } = cloud()
    const mine = await createAvailableVolume(admin, { size: 1, name: 'admin-only' })
    const res = await demo.request('GET', `${v3(demo)}/volumes/${mine.id}`)
    assert.equal(res.status, 404)
    assert.deepEqual(res.body, { itemNotFound: { code: 404, message: `Volume ${mine.id} could not be found.` } })
    for (const [method, path, body] of [
      ['PUT', `volumes/${mine.id}`, { volume: { name: 'x' } }], ['DELETE', `volumes/${mine.id}`, undefined],
      ['POST', `volumes/${mine.id}/action`, { 'os-extend': { new_size: 2 } }],
    ] as const) {
      assert.equal((await demo.request(method, `${v3(demo)}/${path}`, { body })).status, 404, `${method} ${path}`)
    }
    const list = await demo.request('GET', `${v3(demo)}/volumes/detail?all_tenants=1`)
    assert.ok(list.body.volumes.every((v: any) => v['os-vol-tenant-attr:tenant_id'] === demo.projectId))
    assert.equal((await admin.request('GET', `${v3(admin)}/volumes/${mine.id}`)).body.volume.name, 'admin-only')
  })

  test('admins see every project with all_tenants=1, and only their own without it', async () => {
    const { admin, demo } = cloud()
    const theirs = await createAvailableVolume(demo, { size: 1, name: 'demo-vol' })
    const own = await admin.request('GET', `${v3(admin)}/volumes`)
    assert.ok(!own.body.volumes.some((v: any) => v.id === theirs.id))
    const all = await admin.request('GET', `${v3(admin)}/volumes/detail?all_tenants=1&name=demo-vol`)
    assert.deepEqual(all.body.volumes.map((v: any) => v.id), [theirs.id])
    assert.equal((await admin.request('GET', `${v3(admin)}/volumes/${theirs.id}`)).status, 200)
  })

  test('lists filter by name and status, sort, and page with limit/marker and a next link', async () => {
    const demo = cloud().demo
    for (const name of ['page-a', 'page-b', 'page-c']) await createAvailableVolume(demo, { size: 1, name, metadata: { group: 'paging' } })
    const byName = await demo.request('GET', `${v3(demo)}/volumes/detail?name=page-b`)
    assert.deepEqual(byName.body.volumes.map((v: any) => v.name), ['page-b'])
    const sorted = await demo.request('GET', `${v3(demo)}/volumes?sort=name:asc&metadata={"group":"paging"}`)
    assert.deepEqual(sorted.body.volumes.map((v: any) => v.name), ['page-a', 'page-b', 'page-c'])
    const first = await demo.request('GET', `${v3(demo)}/volumes?sort=name:asc&limit=2&status=available&metadata={"group":"paging"}`)
    assert.deepEqual(first.body.volumes.map((v: any) => v.name), ['page-a', 'page-b'])
    const next = new URL(first.body.volumes_links[0].href)
    assert.equal(next.searchParams.get('marker'), first.body.volumes[1].id)
    const second = await demo.request('GET', next.pathname + next.search)
    assert.deepEqual(second.body.volumes.map((v: any) => v.name), ['page-c'])
    const counted = await demo.request('GET', `${v3(demo)}/volumes?with_count=true&name=page-a`, { microversion: '3.45' })
    assert.equal(counted.body.count, 1)
    const badSort = await demo.request('GET', `${v3(demo)}/volumes?sort=bogus:asc`)
    assert.equal(badSort.status, 400)
    const badLimit = await demo.request('GET', `${v3(demo)}/volumes?limit=-1`)
    assert.equal(badLimit.status, 400)
  })

  test('bad create input is a 400 badRequest and creates nothing', async () => {
    const demo = cloud().demo
    const before = await cloud().running.database.db.selectFrom('volumes').select('id').execute()
    const cases: Array<[unknown, RegExp]> = [
      [{ volume: { size: 0 } }, /Volume size '0' must be an integer and greater than 0/],
      [{ volume: { size: -1 } }, /must be an integer and greater than 0/],
      [{ volume: { size: 'ten' } }, /must be an integer and greater than 0/],
      [{ volume: {} }, /Volume size 'None' must be an integer/],
      [{ volume: { size: 1, availability_zone: 'elsewhere' } }, /Availability zone 'elsewhere' is invalid/],
      [{ volume: { size: 1, multiattach: true } }, /multiattach parameter has been removed/],
      [{ volume: { size: 1, imageRef: '00000000-0000-0000-0000-000000000000' } }, /Invalid image identifier or unable to access requested image/],
      [{ nothing: {} }, /Invalid input/],
    ]
    for (const [body, message] of cases) {
      const res = await demo.request('POST', `${v3(demo)}/volumes`, { body })
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.match(res.body.badRequest.message, message)
    }
    const malformed = await demo.request('POST', `${v3(demo)}/volumes`, { rawBody: '{"volume": {"size": 1', contentType: 'application/json' })
    assert.equal(malformed.status, 400)
    assert.equal(malformed.body.badRequest.code, 400)
    const unknownType = await demo.request('POST', `${v3(demo)}/volumes`, { body: { volume: { size: 1, volume_type: 'gold' } } })
    assert.deepEqual(unknownType.body, { itemNotFound: { code: 404, message: 'Volume type with name gold could not be found.' } })
    const strict = await demo.request('POST', `${v3(demo)}/volumes`, { body: { volume: { size: 1, colour: 'red' } }, microversion: '3.53' })
    assert.equal(strict.status, 400)
    const after = await cloud().running.database.db.selectFrom('volumes').select('id').execute()
    assert.equal(after.length, before.length)
  })

  test('metadata: show, merge, replace, one item, delete one item', async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 1, metadata: { a: '1' } })
    const base = `${v3(demo)}/volumes/${volume.id}/metadata`
    assert.deepEqual((await demo.request('GET', base)).body, { metadata: { a: '1' } })
    assert.deepEqual((await demo.request('POST', base, { body: { metadata: { b: '2' } } })).body, { metadata: { a: '1', b: '2' } })
    assert.deepEqual((await demo.request('PUT', base, { body: { metadata: { c: '3' } } })).body, { metadata: { c: '3' } })
    assert.deepEqual((await demo.request('PUT', `${base}/d`, { body: { meta: { d: '4' } } })).body, { meta: { d: '4' } })
    assert.equal((await demo.request('PUT', `${base}/d`, { body: { meta: { e: '5' } } })).status, 400)
    assert.deepEqual((await demo.request('GET', `${base}/d`)).body, { meta: { d: '4' } })
    assert.equal((await demo.request('DELETE', `${base}/c`)).status, 200)
    assert.equal((await demo.request('DELETE', `${base}/c`)).status, 404)
    assert.deepEqual((await demo.request('GET', base)).body, { metadata: { d: '4' } })
  })

  test('os-extend grows an available volume and its backing file; shrinking is 400', async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 1 })
    const action = `${v3(demo)}/volumes/${volume.id}/action`
    const res = await demo.request('POST', action, { body: { 'os-extend': { new_size: 3 } } })
    assert.equal(res.status, 202)
    const shown = await waitForStatus(demo, `${v3(demo)}/volumes/${volume.id}`, ['available'])
    assert.equal(shown.size, 3)
    const record = await cloud().running.services.volumes.findVolume(volume.id)
    assert.equal(qemuInfo(record!.backingPath).virtualSize, 3 * GIB)
    const shrink = await demo.request('POST', action, { body: { 'os-extend': { new_size: 2 } } })
    assert.equal(shrink.status, 400)
    assert.equal(shrink.body.badRequest.message, 'Invalid input received: New size for extend must be greater than current size. (current: 3, extended: 2).')
  })

  test('os-set_bootable answers 200 and flips the string "true"/"false"; reset_status and force_delete are admin-only', async () => {
    const { admin, demo } = cloud()
    const volume = await createAvailableVolume(demo, { size: 1 })
    const action = `${v3(demo)}/volumes/${volume.id}/action`
    const set = await demo.request('POST', action, { body: { 'os-set_bootable': { bootable: true } } })
    assert.equal(set.status, 200)
    assert.equal((await demo.request('GET', `${v3(demo)}/volumes/${volume.id}`)).body.volume.bootable, 'true')
    assert.equal((await demo.request('POST', action, { body: { 'os-reset_status': { status: 'error' } } })).status, 403)
    assert.equal((await demo.request('POST', action, { body: { 'os-force_delete': {} } })).status, 403)
    const unknown = await demo.request('POST', action, { body: { 'os-frobnicate': {} } })
    assert.deepEqual(unknown.body, { badRequest: { code: 400, message: 'There is no such action: os-frobnicate' } })
    const adminAction = `${v3(admin)}/volumes/${volume.id}/action`
    assert.equal((await admin.request('POST', adminAction, { body: { 'os-reset_status': { status: 'bogus' } } })).status, 400)
    assert.equal((await admin.request('POST', adminAction, { body: { 'os-reset_status': { status: 'error' } } })).status, 202)
    assert.equal((await demo.request('GET', `${v3(demo)}/volumes/${volume.id}`)).body.volume.status, 'error')
    assert.equal((await admin.request('POST', adminAction, { body: { 'os-force_delete': {} } })).status, 202)
    assert.equal((await demo.request('GET', `${v3(demo)}/volumes/${volume.id}`)).status, 404)
  })

  test('DELETE removes the volume and its file; a second DELETE is 404', async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 1 })
    const record = await cloud().running.services.volumes.findVolume(volume.id)
    const res = await demo.request('DELETE', `${v3(demo)}/volumes/${volume.id}`)
    assert.equal(res.status, 202)
    assert.equal(res.text, '')
    assert.equal((await demo.request('GET', `${v3(demo)}/volumes/${volume.id}`)).status, 404)
    assert.throws(() => qemuInfo(record!.backingPath))
    assert.equal((await demo.request('DELETE', `${v3(demo)}/volumes/${volume.id}`)).status, 404)
  })

  test('a name that is not an id is a 404 (clients then look up by name)', async () => {
    const demo = cloud().demo
    const res = await demo.request('GET', `${v3(demo)}/volumes/v0`)
    assert.equal(res.status, 404)
  })

  test('types, availability zones and limits answer what clients ask for', async () => {
    const demo = cloud().demo
    const types = await demo.request('GET', `${v3(demo)}/types`)
    assert.deepEqual(types.body.volume_types.map((t: any) => t.name), ['__DEFAULT__'])
    const type = await demo.request('GET', `${v3(demo)}/types/${types.body.volume_types[0].id}`)
    assert.equal(type.body.volume_type.name, '__DEFAULT__')
    assert.equal((await demo.request('GET', `${v3(demo)}/types/nope`)).status, 404)
    const zones = await demo.request('GET', `${v3(demo)}/os-availability-zone`)
    assert.deepEqual(zones.body, { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }] })
    const limits = await demo.request('GET', `${v3(demo)}/limits`)
    assert.equal(limits.body.limits.absolute.totalVolumesUsed > 0, true)
  })
})
