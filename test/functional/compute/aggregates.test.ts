import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { insertComputeHost, insertInstance } from './compute-host-fixtures.js'

const C = '/compute/v2.1'

describeEachDialect('compute os-aggregates', (cloud) => {
  const admin = (method: string, path: string, body?: unknown, microversion?: string) => cloud().admin.request(method, `${C}${path}`, { body, microversion })
  const act = (id: number | string, body: unknown) => admin('POST', `/os-aggregates/${id}/action`, body)

  test('admin only: a member gets 403 with the policy name', async () => {
    const res = await cloud().demo.request('GET', `${C}/os-aggregates`)
    assert.equal(res.status, 403)
    assert.equal(res.body.forbidden.message, "Policy doesn't allow os_compute_api:os-aggregates:index to be performed.")
    assert.equal((await cloud().demo.request('POST', `${C}/os-aggregates`, { body: { aggregate: { name: 'x' } } })).status, 403)
  })

  test('create, show, list, update and delete with Nova\'s views and words', async () => {
    const made = await admin('POST', '/os-aggregates', { aggregate: { name: 'rack1', availability_zone: 'zone1' } })
    assert.equal(made.status, 200, made.text)
    const agg = made.body.aggregate
    assert.deepEqual(Object.keys(agg).sort(), ['availability_zone', 'created_at', 'deleted', 'deleted_at', 'id', 'name', 'updated_at'])
    assert.equal(agg.availability_zone, 'zone1')
    assert.equal(agg.deleted, false)
    assert.equal(typeof agg.id, 'number')
    assert.match(agg.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/)

    const dup = await admin('POST', '/os-aggregates', { aggregate: { name: 'rack1' } })
    assert.equal(dup.status, 409)
    assert.equal(dup.body.conflictingRequest.message, 'Aggregate rack1 already exists.')

    const shown = await admin('GET', `/os-aggregates/${agg.id}`, undefined, '2.41')
    assert.equal(shown.status, 200)
    assert.deepEqual(shown.body.aggregate.hosts, [])
    assert.deepEqual(shown.body.aggregate.metadata, { availability_zone: 'zone1' })
    assert.match(shown.body.aggregate.uuid, /^[0-9a-f-]{36}$/)
    assert.equal((await admin('GET', `/os-aggregates/${agg.id}`, undefined, '2.40')).body.aggregate.uuid, undefined)
    assert.equal((await admin('GET', '/os-aggregates')).body.aggregates.length, 1)

    const other = (await admin('POST', '/os-aggregates', { aggregate: { name: 'rack2' } })).body.aggregate
    const renamed = await admin('PUT', `/os-aggregates/${other.id}`, { aggregate: { name: 'rack1' } })
    assert.equal(renamed.status, 409)
    assert.equal(renamed.body.conflictingRequest.message, 'Aggregate rack1 already exists.')
    const rezoned = await admin('PUT', `/os-aggregates/${other.id}`, { aggregate: { name: 'rack2b', availability_zone: 'zone2' } })
    assert.equal(rezoned.status, 200, rezoned.text)
    assert.equal(rezoned.body.aggregate.name, 'rack2b')
    assert.equal(rezoned.body.aggregate.availability_zone, 'zone2')
    assert.notEqual(rezoned.body.aggregate.updated_at, null)

    const empty = await admin('PUT', `/os-aggregates/${other.id}`, { aggregate: { availability_zone: null } })
    assert.equal(empty.status, 400)
    assert.equal(empty.body.badRequest.message, `Cannot update aggregate ${other.id}. Reason: Aggregate rack2b does not support empty named availability zone.`)

    const deleted = await admin('DELETE', `/os-aggregates/${other.id}`)
    assert.equal(deleted.status, 200)
    const gone = await admin('GET', `/os-aggregates/${other.id}`)
    assert.equal(gone.status, 404)
    assert.equal(gone.body.itemNotFound.message, `Aggregate ${other.id} could not be found.`)
    await admin('DELETE', `/os-aggregates/${agg.id}`)
  })

  test('bad input is 400 and changes nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ aggregate: { name: 'a', availability_zone: 'x:y' } }, "Invalid input for field/attribute availability_zone. Value: x:y. 'x:y' is not valid under any of the given schemas"],
      [{ aggregate: { name: ' padded' } }, "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace."],
      [{ aggregate: { availability_zone: 'z' } }, "Invalid input for field/attribute aggregate. Value: {'availability_zone': 'z'}. 'name' is a required property"],
      [{ aggregate: { name: 'a', colour: 'red' } }, "Invalid input for field/attribute aggregate. Value: {'name': 'a', 'colour': 'red'}. Additional properties are not allowed ('colour' was unexpected)"],
      [{}, "'aggregate' is a required property"],
    ]
    for (const [body, message] of cases) {
      const res = await admin('POST', '/os-aggregates', body)
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.equal(res.body.badRequest.message, message)
    }
    const badId = await admin('GET', '/os-aggregates/abc')
    assert.equal(badId.status, 400)
    assert.equal(badId.body.badRequest.message, 'Invalid input received: id must be an integer')
    assert.equal((await act(1, { reboot: {} })).body.badRequest.message, 'There is no such action: reboot')
    assert.deepEqual((await admin('GET', '/os-aggregates')).body.aggregates, [])
  })

  test('hosts: add, remove, one zone per host, no zone change under instances, no delete while not empty', async () => {
    await insertComputeHost(cloud(), 'agg-host-1')
    await insertComputeHost(cloud(), 'agg-host-2')
    const z1 = (await admin('POST', '/os-aggregates', { aggregate: { name: 'z1', availability_zone: 'zone-one' } })).body.aggregate
    const z2 = (await admin('POST', '/os-aggregates', { aggregate: { name: 'z2', availability_zone: 'zone-two' } })).body.aggregate
    const plain = (await admin('POST', '/os-aggregates', { aggregate: { name: 'plain' } })).body.aggregate

    const nohost = await act(z1.id, { add_host: { host: 'nohost' } })
    assert.equal(nohost.status, 404)
    assert.equal(nohost.body.itemNotFound.message, 'Compute host nohost could not be found.')
    const added = await act(z1.id, { add_host: { host: 'agg-host-1' } })
    assert.equal(added.status, 200, added.text)
    assert.deepEqual(added.body.aggregate.hosts, ['agg-host-1'])
    const again = await act(z1.id, { add_host: { host: 'agg-host-1' } })
    assert.equal(again.status, 409)
    assert.equal(again.body.conflictingRequest.message, `Aggregate ${z1.id} already has host agg-host-1.`)
    const twoZones = await act(z2.id, { add_host: { host: 'agg-host-1' } })
    assert.equal(twoZones.status, 409)
    assert.equal(twoZones.body.conflictingRequest.message, `Cannot add host to aggregate ${z2.id}. Reason: One or more hosts already in availability zone(s) ['zone-one'].`)
    assert.equal((await act(plain.id, { add_host: { host: 'agg-host-1' } })).status, 200)

    // The host's zone shows in os-services and os-availability-zone.
    const services = (await admin('GET', '/os-services?host=agg-host-1')).body.services
    assert.equal(services[0].zone, 'zone-one')
    const zones = (await admin('GET', '/os-availability-zone')).body.availabilityZoneInfo.map((z: { zoneName: string }) => z.zoneName)
    assert.ok(zones.includes('zone-one'))

    const notEmpty = await admin('DELETE', `/os-aggregates/${z1.id}`)
    assert.equal(notEmpty.status, 400)
    assert.equal(notEmpty.body.badRequest.message, `Cannot remove host from aggregate ${z1.id}. Reason: Host aggregate is not empty.`)

    await insertInstance(cloud(), cloud().admin.projectId, cloud().admin.userId, 'agg-host-2', { vcpus: 1, ram: 64, disk: 1 })
    const moving = await act(z2.id, { add_host: { host: 'agg-host-2' } })
    assert.equal(moving.status, 409)
    assert.match(moving.body.conflictingRequest.message, /^Cannot add host to aggregate \d+\. Reason: The host cannot be added to the aggregate as the availability zone of the host would change from 'None' to 'zone-two' but the host already has 1 instance\(s\)\./)
    assert.equal((await act(plain.id, { add_host: { host: 'agg-host-2' } })).status, 200)
    const rezone = await act(plain.id, { set_metadata: { metadata: { availability_zone: 'zone-three' } } })
    assert.equal(rezone.status, 400)
    assert.equal(rezone.body.badRequest.message, `Cannot update metadata of aggregate ${plain.id}. Reason: One or more hosts already in availability zone(s) ['zone-one'].`)

    const meta = await act(plain.id, { set_metadata: { metadata: { ssd: 'true', gone: null } } })
    assert.deepEqual(meta.body.aggregate.metadata, { ssd: 'true' })
    assert.deepEqual((await act(plain.id, { set_metadata: { metadata: { ssd: null } } })).body.aggregate.metadata, {})

    const notIn = await act(z2.id, { remove_host: { host: 'agg-host-1' } })
    assert.equal(notIn.status, 404)
    assert.equal(notIn.body.itemNotFound.message, `Cannot remove host agg-host-1 in aggregate ${z2.id}`)
    const removed = await act(z1.id, { remove_host: { host: 'agg-host-1' } })
    assert.equal(removed.status, 200, removed.text)
    assert.deepEqual(removed.body.aggregate.hosts, [])
    assert.equal((await admin('DELETE', `/os-aggregates/${z1.id}`)).status, 200)
    const badHost = await act(z2.id, { add_host: { host: 'bad host' } })
    assert.equal(badHost.status, 400)
    assert.equal(badHost.body.badRequest.message, "Invalid input for field/attribute host. Value: bad host. 'bad host' does not match '^[a-zA-Z0-9-._]*$'")
  })
})
