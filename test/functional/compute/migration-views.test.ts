import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect, type TestCloud } from '../../helpers/cloud.js'
import { action, bootServer, createImage, waitForStatus } from '../../helpers/compute.js'

const SERVERS = '/compute/v2.1/servers'
const MIGRATIONS = '/compute/v2.1/os-migrations'

/** A migration row written directly (Lifeboat has no live migration to make one). */
async function insertMigration(cloud: TestCloud, instanceUuid: string, values: { uuid: string; type: string; status: string; createdAt: string }): Promise<number> {
  await cloud.running.database.db.insertInto('migrations').values({
    uuid: values.uuid, instance_uuid: instanceUuid, migration_type: values.type, status: values.status,
    source_compute: 'src-host', dest_compute: 'dst-host', source_node: 'src-host', dest_node: 'dst-host', dest_host: '192.0.2.2',
    old_instance_type_id: '1', new_instance_type_id: '1', old_flavor: null, new_flavor: null, project_id: 'p', user_id: 'u',
    memory_total: 1024, memory_processed: 512, memory_remaining: 512, disk_total: null, disk_processed: null, disk_remaining: null,
    created_at: values.createdAt, updated_at: values.createdAt, deleted_at: null,
  }).execute()
  const row = await cloud.running.database.db.selectFrom('migrations').select('id').where('uuid', '=', values.uuid).executeTakeFirstOrThrow()
  return row.id
}

describeEachDialect('migration views: os-migrations, servers/{id}/migrations (Nova migrations.py, server_migrations.py)', (cloud) => {
  let serverId: string
  let resizeUuid: string
  let liveId: number
  const liveUuid = '6f7a1c1e-0000-4000-8000-00000000000a'

  before(async () => {
    const imageId = await createImage(cloud().admin)
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    serverId = server.id
    const res = await action(cloud().demo, server.id, { resize: { flavorRef: '2' } })
    assert.equal(res.status, 202, res.text)
    await waitForStatus(cloud().demo, server.id, 'VERIFY_RESIZE')
    const row = await cloud().running.database.db.selectFrom('migrations').select('uuid').where('instance_uuid', '=', serverId).executeTakeFirstOrThrow()
    resizeUuid = row.uuid
    liveId = await insertMigration(cloud(), serverId, { uuid: liveUuid, type: 'live-migration', status: 'running', createdAt: '2030-01-01T00:00:00.000Z' })
  })

  test('os-migrations 2.1: no migration_type, uuid, user/project, memory fields; times as Nova prints them', async () => {
    const res = await cloud().admin.request('GET', MIGRATIONS)
    assert.equal(res.status, 200, res.text)
    const resize = res.body.migrations.find((m: { instance_uuid: string; status: string }) => m.instance_uuid === serverId && m.status === 'finished')
    assert.ok(resize, res.text)
    assert.deepEqual(Object.keys(resize).sort(), ['created_at', 'dest_compute', 'dest_host', 'dest_node', 'id', 'instance_uuid', 'new_instance_type_id', 'old_instance_type_id', 'source_compute', 'source_node', 'status', 'updated_at'])
    assert.match(resize.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/)
    assert.equal(resize.old_instance_type_id, 1)
    assert.equal(resize.new_instance_type_id, 2)
    assert.equal(res.body.migrations_links, undefined)
  })

  test('os-migrations 2.23: migration_type; links only for an in-progress live migration', async () => {
    const res = await cloud().admin.request('GET', MIGRATIONS, { microversion: '2.23' })
    const mine = res.body.migrations.filter((m: { instance_uuid: string }) => m.instance_uuid === serverId)
    const resize = mine.find((m: { migration_type: string }) => m.migration_type === 'resize')
    const live = mine.find((m: { migration_type: string }) => m.migration_type === 'live-migration')
    assert.equal(resize.links, undefined)
    assert.equal(live.links[0].href.endsWith(`/v2.1/servers/${serverId}/migrations/${liveId}`), true)
    assert.equal(live.uuid, undefined)
  })

  test('os-migrations 2.59: uuid, newest first, limit/marker paging with a next link; strict query; bad marker 400', async () => {
    const first = await cloud().admin.request('GET', `${MIGRATIONS}?limit=1`, { microversion: '2.59' })
    assert.equal(first.status, 200, first.text)
    assert.equal(first.body.migrations[0].uuid, liveUuid)
    assert.match(first.body.migrations_links[0].href, new RegExp(`os-migrations\\?limit=1&marker=${liveUuid}`))
    const next = await cloud().admin.request('GET', `${MIGRATIONS}?limit=1&marker=${liveUuid}`, { microversion: '2.59' })
    assert.equal(next.body.migrations[0].uuid, resizeUuid)
    const unknown = await cloud().admin.request('GET', `${MIGRATIONS}?user_id=u`, { microversion: '2.59' })
    assert.equal(unknown.status, 400)
    assert.match(unknown.body.badRequest.message, /Additional properties are not allowed \('user_id' was unexpected\)/)
    const marker = await cloud().admin.request('GET', `${MIGRATIONS}?marker=nope`, { microversion: '2.59' })
    assert.equal(marker.status, 400)
    assert.equal(marker.body.badRequest.message, 'Marker nope could not be found.')
    const since = await cloud().admin.request('GET', `${MIGRATIONS}?changes-since=2029-12-31T00:00:00Z`, { microversion: '2.59' })
    assert.deepEqual(since.body.migrations.map((m: { uuid: string }) => m.uuid), [liveUuid])
    const order = await cloud().admin.request('GET', `${MIGRATIONS}?changes-since=2031-01-01T00:00:00Z&changes-before=2030-01-01T00:00:00Z`, { microversion: '2.66' })
    assert.equal(order.status, 400)
    assert.equal(order.body.badRequest.message, 'The value of changes-since must be less than or equal to changes-before.')
  })

  test('os-migrations 2.80: user_id and project_id shown and filtered; filters by type and host', async () => {
    const res = await cloud().admin.request('GET', `${MIGRATIONS}?user_id=u&project_id=p`, { microversion: '2.80' })
    assert.deepEqual(res.body.migrations.map((m: { uuid: string; user_id: string; project_id: string }) => [m.uuid, m.user_id, m.project_id]), [[liveUuid, 'u', 'p']])
    const typed = await cloud().admin.request('GET', `${MIGRATIONS}?migration_type=resize&instance_uuid=${serverId}`, { microversion: '2.80' })
    assert.deepEqual(typed.body.migrations.map((m: { uuid: string }) => m.uuid), [resizeUuid])
    const host = await cloud().admin.request('GET', `${MIGRATIONS}?host=dst-host`, { microversion: '2.80' })
    assert.deepEqual(host.body.migrations.map((m: { uuid: string }) => m.uuid), [liveUuid])
  })

  test('policy: os-migrations and servers/{id}/migrations are admin only', async () => {
    assert.equal((await cloud().demo.request('GET', MIGRATIONS)).status, 403)
    assert.equal((await cloud().demo.request('GET', `${SERVERS}/${serverId}/migrations`, { microversion: '2.23' })).status, 403)
  })

  test('servers/{id}/migrations: 404 before 2.23; in-progress live migrations only, Nova\'s output per microversion', async () => {
    assert.equal((await cloud().admin.request('GET', `${SERVERS}/${serverId}/migrations`, { microversion: '2.22' })).status, 404)
    const list = await cloud().admin.request('GET', `${SERVERS}/${serverId}/migrations`, { microversion: '2.23' })
    assert.equal(list.status, 200, list.text)
    assert.deepEqual(list.body.migrations.map((m: { id: number }) => m.id), [liveId])
    assert.equal(list.body.migrations[0].memory_total_bytes, 1024)
    assert.equal(list.body.migrations[0].server_uuid, serverId)
    assert.equal(list.body.migrations[0].uuid, undefined)
    const shown = await cloud().admin.request('GET', `${SERVERS}/${serverId}/migrations/${liveId}`, { microversion: '2.80' })
    assert.equal(shown.body.migration.uuid, liveUuid)
    assert.equal(shown.body.migration.user_id, 'u')
    const resizeRow = await cloud().running.database.db.selectFrom('migrations').select('id').where('uuid', '=', resizeUuid).executeTakeFirstOrThrow()
    const notLive = await cloud().admin.request('GET', `${SERVERS}/${serverId}/migrations/${resizeRow.id}`, { microversion: '2.23' })
    assert.equal(notLive.status, 404)
    assert.equal(notLive.body.itemNotFound.message, `Migration ${resizeRow.id} for server ${serverId} is not live-migration.`)
    const none = await cloud().admin.request('GET', `${SERVERS}/${serverId}/migrations/999999`, { microversion: '2.23' })
    assert.equal(none.body.itemNotFound.message, `In-progress live migration 999999 is not found for server ${serverId}.`)
    const missing = await cloud().admin.request('GET', `${SERVERS}/00000000-0000-4000-8000-000000000000/migrations`, { microversion: '2.23' })
    assert.equal(missing.status, 404)
  })

  test('abort and force_complete: 409 with Nova\'s words for a server that is not live-migrating; bad body 400', async () => {
    const abort = await cloud().admin.request('DELETE', `${SERVERS}/${serverId}/migrations/${liveId}`, { microversion: '2.24' })
    assert.equal(abort.status, 409, abort.text)
    assert.equal(abort.body.conflictingRequest.message, `Cannot 'abort live migration' instance ${serverId} while it is in task_state None`)
    const force = await cloud().admin.request('POST', `${SERVERS}/${serverId}/migrations/${liveId}/action`, { microversion: '2.22', body: { force_complete: null } })
    assert.equal(force.status, 409, force.text)
    assert.equal(force.body.conflictingRequest.message, `Cannot 'force_complete' instance ${serverId} while it is in vm_state resized`)
    const bad = await cloud().admin.request('POST', `${SERVERS}/${serverId}/migrations/${liveId}/action`, { microversion: '2.22', body: { force_complete: 1 } })
    assert.equal(bad.status, 400)
    assert.equal((await cloud().admin.request('DELETE', `${SERVERS}/${serverId}/migrations/${liveId}`, { microversion: '2.23' })).status, 404)
  })
})
