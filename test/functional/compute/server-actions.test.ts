import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, createVolume, fakeDomain, instanceRow, waitForStatus } from '../../helpers/compute.js'

describeEachDialect('compute server actions', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })

  test('stop, start, pause, unpause, suspend, resume and reboot walk Nova\'s states', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { imageRef: imageId })
    const steps: Array<[object, string, number]> = [
      [{ 'os-stop': null }, 'SHUTOFF', 4], [{ 'os-start': null }, 'ACTIVE', 1], [{ pause: null }, 'PAUSED', 3], [{ unpause: {} }, 'ACTIVE', 1],
      [{ suspend: null }, 'SUSPENDED', 7], [{ resume: null }, 'ACTIVE', 1], [{ reboot: { type: 'SOFT' } }, 'ACTIVE', 1], [{ reboot: { type: 'HARD' } }, 'ACTIVE', 1],
    ]
    for (const [body, status, power] of steps) {
      const res = await action(demo, server.id, body)
      assert.equal(res.status, 202, `${JSON.stringify(body)}: ${res.text}`)
      assert.equal(res.text, '', 'actions answer 202 with no body')
      const after = await waitForStatus(demo, server.id, status)
      assert.equal(after['OS-EXT-STS:power_state'], power)
      assert.equal(fakeDomain(cloud(), server.id)?.powerState, power)
    }
  })

  test('an action from a state Nova refuses is 409 with Nova\'s message and changes nothing', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const res = await action(cloud().demo, server.id, { 'os-start': null })
    assert.equal(res.status, 409)
    assert.equal(res.body.conflictingRequest.message, `Cannot 'start' instance ${server.id} while it is in vm_state active`)
    assert.equal((await instanceRow(cloud(), server.id)).task_state, null)
    const unpause = await action(cloud().demo, server.id, { unpause: null })
    assert.equal(unpause.status, 409)
  })

  test('task_state is a compare-and-set: of two concurrent actions one gets 409', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const [a, b] = await Promise.all([action(cloud().demo, server.id, { 'os-stop': null }), action(cloud().demo, server.id, { pause: null })])
    assert.deepEqual([a.status, b.status].sort(), [202, 409])
    const loser = a.status === 409 ? a : b
    assert.match(loser.body.conflictingRequest.message, /while it is in (task_state|vm_state)/)
    await waitForStatus(cloud().demo, server.id, a.status === 202 ? 'SHUTOFF' : 'PAUSED')
  })

  test('a locked server refuses its owner (409) but not an admin; lock reasons show at 2.73', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { lock: { locked_reason: 'maintenance' } }, '2.73')).status, 202)
    const shown = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}`, { microversion: '2.73' })
    assert.equal(shown.body.server.locked, true)
    assert.equal(shown.body.server.locked_reason, 'maintenance')
    const refused = await action(cloud().demo, server.id, { 'os-stop': null })
    assert.equal(refused.status, 409)
    assert.equal(refused.body.conflictingRequest.message, `Instance ${server.id} is locked`)
    const deleteRefused = await cloud().demo.request('DELETE', `/compute/v2.1/servers/${server.id}`)
    assert.equal(deleteRefused.status, 409)
    assert.equal((await action(cloud().admin, server.id, { 'os-stop': null })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    assert.equal((await action(cloud().demo, server.id, { unlock: null })).status, 202)
    assert.equal((await action(cloud().demo, server.id, { 'os-start': null })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
  })

  test('unknown actions and bad action bodies are 400', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { fly: null })).status, 400)
    assert.equal((await action(cloud().demo, server.id, { reboot: { type: 'GENTLE' } })).status, 400)
    assert.equal((await action(cloud().demo, server.id, { reboot: null })).status, 400)
    assert.equal((await action(cloud().demo, server.id, { rescue: { foo: 1 } })).status, 400)
  })

  test('console output returns the console log, limited by length', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const all = await action(cloud().demo, server.id, { 'os-getConsoleOutput': {} })
    assert.equal(all.status, 200)
    assert.match(all.body.output, /booting vm/)
    const last = await action(cloud().demo, server.id, { 'os-getConsoleOutput': { length: 1 } })
    assert.equal(last.body.output.split('\n').length, 1)
  })

  test('createImage snapshots an image-backed server into an active image (JSON from 2.45, Location before)', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const res = await action(cloud().demo, server.id, { createImage: { name: 'snap', metadata: { purpose: 'test' } } }, '2.45')
    assert.equal(res.status, 202)
    const snapshotId = res.body.image_id
    const deadline = Date.now() + 10_000
    let image: any
    while (Date.now() < deadline) {
      image = (await cloud().demo.request('GET', `/image/v2/images/${snapshotId}`)).body
      if (image.status === 'active') break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.equal(image.status, 'active')
    assert.equal(image.instance_uuid, server.id)
    assert.equal(image.purpose, 'test')
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    const old = await action(cloud().demo, server.id, { createImage: { name: 'snap-old' } })
    assert.equal(old.status, 202)
    assert.match(old.headers.get('location') ?? '', /^http:\/\/.+\/images\/[0-9a-f-]{36}$/)
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
  })

  test('attach and detach a volume: the volume goes in-use, then available', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const volume = await createVolume(cloud().demo, { name: 'data' })
    const attach = await cloud().demo.request('POST', `/compute/v2.1/servers/${server.id}/os-volume_attachments`, { body: { volumeAttachment: { volumeId: volume.id } } })
    assert.equal(attach.status, 200, attach.text)
    assert.equal(attach.body.volumeAttachment.device, '/dev/vdb')
    const deadline = Date.now() + 10_000
    const statusOf = async () => (await cloud().demo.request('GET', `/volume/v3/${cloud().demo.projectId}/volumes/${volume.id}`)).body.volume.status
    while (Date.now() < deadline && (await statusOf()) !== 'in-use') await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(await statusOf(), 'in-use')
    const layout = fakeDomain(cloud(), server.id)!.layout
    assert.ok(layout.devices.some((d) => d.name === `volume-${volume.id}` && d.guestName === 'vdb'))
    const shown = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}`, { microversion: '2.87' })
    assert.deepEqual(shown.body.server['os-extended-volumes:volumes_attached'], [{ id: volume.id, delete_on_termination: false }])
    const detach = await cloud().demo.request('DELETE', `/compute/v2.1/servers/${server.id}/os-volume_attachments/${volume.id}`)
    assert.equal(detach.status, 202)
    while (Date.now() < deadline && (await statusOf()) !== 'available') await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(await statusOf(), 'available')
  })
})

describeEachDialect('a volume detach that fails in the driver', (cloud) => {
  test('the volume is detaching meanwhile, then in-use again and still attached, with the reason in the action', async () => {
    const imageId = await createImage(cloud().admin)
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const volume = await createVolume(cloud().demo, { name: 'stays' })
    const volumeUrl = `/volume/v3/${cloud().demo.projectId}/volumes/${volume.id}`
    const statusOf = async () => (await cloud().demo.request('GET', volumeUrl)).body.volume.status
    const attach = await cloud().demo.request('POST', `/compute/v2.1/servers/${server.id}/os-volume_attachments`, { body: { volumeAttachment: { volumeId: volume.id } } })
    assert.equal(attach.status, 200, attach.text)
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && (await statusOf()) !== 'in-use') await new Promise((resolve) => setTimeout(resolve, 20))
    const detach = await cloud().demo.request('DELETE', `/compute/v2.1/servers/${server.id}/os-volume_attachments/${volume.id}`)
    assert.equal(detach.status, 202)
    assert.equal(await statusOf(), 'detaching', 'the agent sleeps 300 ms before it fails')
    const again = await cloud().demo.request('DELETE', `/compute/v2.1/servers/${server.id}/os-volume_attachments/${volume.id}`)
    assert.equal(again.status, 400, 'a second detach of a detaching volume is refused, as Cinder refuses begin_detaching')
    assert.match(again.body.badRequest.message, /Volume status must be 'in-use'/)
    while (Date.now() < deadline && (await statusOf()) !== 'in-use') await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(await statusOf(), 'in-use')
    const attachments = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}/os-volume_attachments`)
    assert.deepEqual(attachments.body.volumeAttachments.map((a: { volumeId: string }) => a.volumeId), [volume.id])
    const actions = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`)
    assert.equal(actions.body.instanceActions[0].action, 'detach_volume')
    assert.equal(actions.body.instanceActions[0].message, 'Error')
    assert.equal((await waitForStatus(cloud().demo, server.id, 'ACTIVE')).status, 'ACTIVE')
  })
}, { agent: { fakeFailOperations: ['detachVolume'], fakeDelayMs: 300 } })

describeEachDialect('finished tasks', (cloud) => {
  test('are purged by age while queued work and the instance actions stay', async () => {
    const imageId = await createImage(cloud().admin)
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { 'os-stop': null })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    const db = cloud().running.database.db
    const tasks = cloud().running.services.compute.tasks
    const finished = await db.selectFrom('tasks').select('id').where('instance_uuid', '=', server.id).where('status', 'in', ['done', 'failed']).execute()
    assert.ok(finished.length >= 2, 'the build and the stop are finished tasks')
    assert.equal(await tasks.purgeFinished(new Date(Date.now() - 60_000).toISOString()), 0, 'recent ones are kept')
    assert.ok(await tasks.purgeFinished(new Date(Date.now() + 1000).toISOString()) >= 2)
    assert.deepEqual(await db.selectFrom('tasks').select('id').where('instance_uuid', '=', server.id).execute(), [])
    const actions = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`)
    assert.deepEqual(actions.body.instanceActions.map((a: { action: string }) => a.action), ['stop', 'create'])
    assert.equal((await action(cloud().demo, server.id, { 'os-start': null })).status, 202, 'the server works on')
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
  })
})
