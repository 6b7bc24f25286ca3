import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, instanceRow, waitForStatus } from '../../helpers/compute.js'
import { assertUsagesMatchServers, newestActionEvents, waitForIdle } from './shelve-helpers.js'

const SERVERS = '/compute/v2.1/servers'

describeEachDialect('createBackup (Nova create_backup.py, _rotate_backups)', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })

  /** The server's backup images of a type, as the database holds them. */
  const backups = async (serverId: string, type: string) => {
    const rows = await cloud().running.database.db.selectFrom('images')
      .innerJoin('image_properties as t', (j) => j.onRef('t.image_id', '=', 'images.id').on('t.name', '=', 'backup_type').on('t.value', '=', type))
      .innerJoin('image_properties as s', (j) => j.onRef('s.image_id', '=', 'images.id').on('s.name', '=', 'instance_uuid').on('s.value', '=', serverId))
      .select(['images.id', 'images.name']).orderBy('images.created_at').execute()
    return rows.map((r) => r.name)
  }
  /** The rotation runs just after the task's transaction: wait for it. */
  const backupsSettle = async (serverId: string, type: string, want: string[]) => {
    const deadline = Date.now() + 10_000
    while (JSON.stringify(await backups(serverId, type)) !== JSON.stringify(want) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual(await backups(serverId, type), want)
  }
  const backup = async (serverId: string, body: Record<string, unknown>, microversion?: string) => {
    const res = await action(cloud().demo, serverId, { createBackup: body }, microversion)
    if (res.status === 202) await waitForIdle(cloud(), serverId)
    return res
  }

  test('202 with a Location before 2.45 (none for rotation 0), `{"image_id"}` from 2.45; the image is a backup of the server', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const old = await backup(server.id, { name: 'b-old', backup_type: 'daily', rotation: 5, metadata: { color: 'blue' } })
    assert.equal(old.status, 202, old.text)
    assert.equal(old.text, '')
    const location = old.headers.get('location') ?? ''
    assert.match(location, /\/compute\/v2\.1\/images\/[0-9a-f-]{36}$/)
    const image = (await cloud().demo.request('GET', `/image/v2/images/${location.slice(-36)}`)).body
    assert.equal(image.status, 'active')
    assert.equal(image.image_type, 'backup')
    assert.equal(image.backup_type, 'daily')
    assert.equal(image.instance_uuid, server.id)
    assert.equal(image.color, 'blue')
    const events = await newestActionEvents(cloud(), server.id)
    assert.deepEqual(events.map((e) => [e.event, e.result]), [['compute_backup_instance', 'Success']])
    assert.equal((await cloud().admin.request('GET', `${SERVERS}/${server.id}/os-instance-actions`)).body.instanceActions[0].action, 'createBackup')

    const rotationZero = await action(cloud().demo, server.id, { createBackup: { name: 'b-zero', backup_type: 'zero', rotation: '0' } })
    assert.equal(rotationZero.status, 202)
    assert.equal(rotationZero.headers.get('location'), null)
    await waitForIdle(cloud(), server.id)

    const v245 = await backup(server.id, { name: 'b-new', backup_type: 'daily', rotation: 5 }, '2.45')
    assert.equal(v245.status, 202)
    assert.equal(v245.headers.get('location'), null)
    assert.match(v245.body.image_id, /^[0-9a-f-]{36}$/)
    await assertUsagesMatchServers(cloud())
  })

  test('rotation keeps the newest `rotation` backups of that server and type; 0 deletes them all, the new one too', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const kept = [['d1'], ['d1', 'd2'], ['d2', 'd3']]
    for (const [i, name] of ['d1', 'd2', 'd3'].entries()) {
      assert.equal((await backup(server.id, { name, backup_type: 'daily', rotation: 2 }, '2.45')).status, 202)
      await backupsSettle(server.id, 'daily', kept[i]!)
    }
    assert.equal((await backup(server.id, { name: 'w1', backup_type: 'weekly', rotation: 1 }, '2.45')).status, 202)
    await backupsSettle(server.id, 'weekly', ['w1'])
    assert.deepEqual(await backups(server.id, 'daily'), ['d2', 'd3'], 'another type is not rotated')
    assert.equal((await backup(server.id, { name: 'd4', backup_type: 'daily', rotation: 0 }, '2.45')).status, 202)
    await backupsSettle(server.id, 'daily', [])
    assert.deepEqual(await backups(server.id, 'weekly'), ['w1'])
  })

  test('refusals: bad bodies 400, RESCUED and locked 409, volume-backed 400 with Nova\'s texts; nothing is made', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const bad = async (body: unknown) => assert.equal((await action(cloud().demo, server.id, { createBackup: body })).status, 400, JSON.stringify(body))
    await bad({ name: 'x', backup_type: 'daily', rotation: -1 })
    await bad({ name: 'x', backup_type: 'daily', rotation: 'two' })
    await bad({ name: 'x', rotation: 1 })
    await bad({ backup_type: 'daily', rotation: 1 })
    await bad({ name: ' lead', backup_type: 'daily', rotation: 1 })
    await bad({ name: 'x', backup_type: 'daily', rotation: 1, extra: true })
    await bad(null)
    await action(cloud().demo, server.id, { rescue: null })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    const rescued = await action(cloud().demo, server.id, { createBackup: { name: 'x', backup_type: 'daily', rotation: 1 } })
    assert.equal(rescued.status, 409)
    assert.equal(rescued.body.conflictingRequest.message, `Cannot 'createBackup' instance ${server.id} while it is in vm_state rescued`)
    await action(cloud().demo, server.id, { unrescue: null })
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    await action(cloud().demo, server.id, { lock: null })
    const locked = await action(cloud().demo, server.id, { createBackup: { name: 'x', backup_type: 'daily', rotation: 1 } })
    assert.equal(locked.status, 409)
    assert.equal(locked.body.conflictingRequest.message, `Instance ${server.id} is locked`)
    assert.deepEqual(await backups(server.id, 'daily'), [])
    assert.equal((await instanceRow(cloud(), server.id)).task_state, null)

    const create = await cloud().demo.request('POST', SERVERS, {
      body: { server: { name: 'bfv', flavorRef: '1', networks: 'none', block_device_mapping_v2: [{ boot_index: '0', source_type: 'image', uuid: imageId, destination_type: 'volume', volume_size: 1, delete_on_termination: true }] } },
      microversion: '2.37',
    })
    await waitForStatus(cloud().demo, create.body.server.id, 'ACTIVE')
    const bfv = await action(cloud().demo, create.body.server.id, { createBackup: { name: 'x', backup_type: 'daily', rotation: 1 } })
    assert.equal(bfv.status, 400)
    assert.equal(bfv.body.badRequest.message, 'Backup is not supported for volume-backed instances.')
  })
})
