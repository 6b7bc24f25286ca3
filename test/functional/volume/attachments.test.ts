import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { createAvailableVolume, v3, waitForStatus } from './volume-helpers.js'

const CONNECTOR = { host: 'lifeboat-compute-1', mountpoint: '/dev/vdb', initiator: 'iqn.x', platform: 'x86_64', os_type: 'linux' }

describeEachDialect('volume service: attachments and the attach flows', (cloud) => {
  const status = async (volumeId: string) => (await cloud().demo.request('GET', `${v3(cloud().demo)}/volumes/${volumeId}`)).body.volume

  test('the attachments API needs 3.27 (404 before)', async () => {
    const demo = cloud().demo
    assert.equal((await demo.request('GET', `${v3(demo)}/attachments`)).status, 404)
    assert.equal((await demo.request('GET', `${v3(demo)}/attachments`, { microversion: '3.27' })).status, 200)
  })

  test('reserve → attaching (connection info for the file) → os-complete in-use → delete available', async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 1 })
    const server = randomUUID()
    const created = await demo.request('POST', `${v3(demo)}/attachments`, { body: { attachment: { volume_uuid: volume.id, instance_uuid: server } }, microversion: '3.44' })
    assert.equal(created.status, 200)
    const attachment = created.body.attachment
    assert.deepEqual({ status: attachment.status, instance: attachment.instance, volume_id: attachment.volume_id, connection_info: attachment.connection_info },
      { status: 'reserved', instance: server, volume_id: volume.id, connection_info: {} })
    assert.equal((await status(volume.id)).status, 'reserved')

    const second = await demo.request('POST', `${v3(demo)}/attachments`, { body: { attachment: { volume_uuid: volume.id, instance_uuid: randomUUID() } }, microversion: '3.44' })
    assert.equal(second.status, 400)
    assert.match(second.body.badRequest.message, /status must be available or downloading to reserve, but the current status is reserved/)

    const updated = await demo.request('PUT', `${v3(demo)}/attachments/${attachment.id}`, { body: { attachment: { connector: CONNECTOR } }, microversion: '3.44' })
    assert.equal(updated.status, 200)
    const info = updated.body.attachment.connection_info
    const record = await cloud().running.services.volumes.findVolume(volume.id)
    assert.equal(info.driver_volume_type, 'file')
    assert.equal(info.path, record!.backingPath)
    assert.equal(info.format, 'qcow2')
    assert.equal(info.attachment_id, attachment.id)
    assert.equal(updated.body.attachment.status, 'attaching')
    assert.equal(updated.body.attachment.attach_mode, 'rw')
    assert.equal((await status(volume.id)).status, 'attaching')

    const complete = await demo.request('POST', `${v3(demo)}/attachments/${attachment.id}/action`, { body: { 'os-complete': null }, microversion: '3.44' })
    assert.equal(complete.status, 204)
    const inUse = await status(volume.id)
    assert.equal(inUse.status, 'in-use')
    assert.deepEqual(inUse.attachments.map((a: any) => [a.attachment_id, a.server_id, a.device, a.host_name]), [[attachment.id, server, '/dev/vdb', null]])
    const shown = await demo.request('GET', `${v3(demo)}/attachments/${attachment.id}`, { microversion: '3.44' })
    assert.equal(shown.body.attachment.status, 'attached')
    const listed = await demo.request('GET', `${v3(demo)}/attachments?volume_id=${volume.id}`, { microversion: '3.44' })
    assert.deepEqual(listed.body.attachments, [{ id: attachment.id, status: 'attached', instance: server, volume_id: volume.id }])

    const refused = await demo.request('DELETE', `${v3(demo)}/volumes/${volume.id}`)
    assert.equal(refused.status, 400)
    assert.match(refused.body.badRequest.message, /^Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached/)

    const deleted = await demo.request('DELETE', `${v3(demo)}/attachments/${attachment.id}`, { microversion: '3.44' })
    assert.equal(deleted.status, 200)
    assert.deepEqual(deleted.body, { attachments: [] })
    const after = await status(volume.id)
    assert.equal(after.status, 'available')
    assert.deepEqual(after.attachments, [])
    assert.equal((await demo.request('DELETE', `${v3(demo)}/volumes/${volume.id}`)).status, 202)
  })

  test('an attachment created with a connector is attaching at once; os-complete needs 3.44', async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 1 })
    const res = await demo.request('POST', `${v3(demo)}/attachments`, { body: { attachment: { volume_uuid: volume.id, instance_uuid: randomUUID(), connector: CONNECTOR } }, microversion: '3.27' })
    assert.equal(res.body.attachment.status, 'attaching')
    assert.equal(res.body.attachment.connection_info.driver_volume_type, 'file')
    const early = await demo.request('POST', `${v3(demo)}/attachments/${res.body.attachment.id}/action`, { body: { 'os-complete': null }, microversion: '3.43' })
    assert.equal(early.status, 404)
    await demo.request('DELETE', `${v3(demo)}/attachments/${res.body.attachment.id}`, { microversion: '3.27' })
    assert.equal((await status(volume.id)).status, 'available')
  })

  test('another project can neither attach nor see the attachment (404)', async () => {
    const { admin, demo } = cloud()
    const volume = await createAvailableVolume(admin, { size: 1 })
    const res = await demo.request('POST', `${v3(demo)}/attachments`, { body: { attachment: { volume_uuid: volume.id, instance_uuid: randomUUID() } }, microversion: '3.44' })
    assert.equal(res.status, 404)
    const mine = await admin.request('POST', `${v3(admin)}/attachments`, { body: { attachment: { volume_uuid: volume.id, instance_uuid: randomUUID() } }, microversion: '3.44' })
    assert.equal((await demo.request('GET', `${v3(demo)}/attachments/${mine.body.attachment.id}`, { microversion: '3.44' })).status, 404)
    assert.equal((await demo.request('DELETE', `${v3(demo)}/attachments/${mine.body.attachment.id}`, { microversion: '3.44' })).status, 404)
    await admin.request('DELETE', `${v3(admin)}/attachments/${mine.body.attachment.id}`, { microversion: '3.44' })
  })

  test('an attachment to a volume in error is refused with 400', async () => {
    const { admin, demo } = cloud()
    const volume = await createAvailableVolume(demo, { size: 1 })
    await admin.request('POST', `${v3(admin)}/volumes/${volume.id}/action`, { body: { 'os-reset_status': { status: 'error' } } })
    const res = await demo.request('POST', `${v3(demo)}/attachments`, { body: { attachment: { volume_uuid: volume.id, instance_uuid: randomUUID() } }, microversion: '3.44' })
    assert.equal(res.status, 400)
    assert.match(res.body.badRequest.message, /can not be created if the volume is in an error state/)
  })

  test('the legacy flow: reserve, attach, begin/roll detaching, detach, with Cinder\'s refusals', async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 1 })
    const action = (body: unknown) => demo.request('POST', `${v3(demo)}/volumes/${volume.id}/action`, { body })
    assert.equal((await action({ 'os-reserve': null })).status, 202)
    assert.equal((await status(volume.id)).status, 'attaching')
    const again = await action({ 'os-reserve': {} })
    assert.equal(again.body.badRequest.message, 'Invalid volume: Volume status must be available to reserve, but the status is attaching.')
    assert.equal((await action({ 'os-unreserve': {} })).status, 202)
    assert.equal((await status(volume.id)).status, 'available')

    const init = await action({ 'os-initialize_connection': { connector: CONNECTOR } })
    assert.equal(init.status, 200)
    assert.equal(init.body.connection_info.driver_volume_type, 'file')
    assert.equal(init.body.connection_info.data.format, 'qcow2')

    const server = randomUUID()
    assert.equal((await action({ 'os-attach': { instance_uuid: server, mountpoint: '/dev/vdc', mode: 'rw' } })).status, 202)
    const attached = await status(volume.id)
    assert.equal(attached.status, 'in-use')
    assert.equal(attached.attachments[0].server_id, server)
    assert.equal(attached.attachments[0].device, '/dev/vdc')
    assert.equal((await action({ 'os-begin_detaching': {} })).status, 202)
    assert.equal((await status(volume.id)).status, 'detaching')
    assert.equal((await action({ 'os-roll_detaching': {} })).status, 202)
    assert.equal((await status(volume.id)).status, 'in-use')
    assert.equal((await action({ 'os-detach': { attachment_id: attached.attachments[0].attachment_id } })).status, 202)
    assert.equal((await status(volume.id)).status, 'available')
    const notAttached = await action({ 'os-begin_detaching': {} })
    assert.equal(notAttached.body.badRequest.message, "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.")
  })

  test('the compute contract: reserve (409 when taken), complete, delete', async () => {
    const demo = cloud().demo
    const volumes = cloud().running.services.volumes
    const volume = await createAvailableVolume(demo, { size: 1 })
    const server = randomUUID()
    const reserved = await volumes.reserveAttachment(volume.id, server)
    assert.equal(reserved.status, 'reserved')
    assert.equal((await volumes.findVolume(volume.id))!.status, 'reserved')
    await assert.rejects(volumes.reserveAttachment(volume.id, randomUUID()), (e: any) => e.status === 409)
    const done = await volumes.completeAttachment(reserved.id, { mountpoint: '/dev/vdb', hostName: 'lifeboat-compute-1' })
    assert.equal(done.status, 'attached')
    const inUse = await volumes.findVolume(volume.id)
    assert.equal(inUse!.status, 'in-use')
    assert.deepEqual(inUse!.attachments.map((a) => [a.instanceId, a.mountpoint, a.hostName]), [[server, '/dev/vdb', 'lifeboat-compute-1']])
    const asAdmin = await cloud().admin.request('GET', `${v3(cloud().admin)}/volumes/${volume.id}`)
    assert.equal(asAdmin.body.volume.attachments[0].host_name, 'lifeboat-compute-1')
    await assert.rejects(volumes.deleteVolumeInternal(volume.id), (e: any) => e.status === 400)
    await volumes.deleteAttachment(reserved.id)
    assert.equal((await volumes.findVolume(volume.id))!.status, 'available')
    await volumes.deleteVolumeInternal(volume.id)
    assert.equal(await volumes.findVolume(volume.id), null)
  })

  test('the compute contract: createVolume and waitForVolume', async () => {
    const volumes = cloud().running.services.volumes
    const created = await volumes.createVolume(await authOf(cloud().demo.token), { size: 1, name: 'from-compute' })
    assert.equal(created.status, 'creating')
    const ready = await volumes.waitForVolume(created.id, 20_000)
    assert.equal(ready.status, 'available')
    await waitForStatus(cloud().demo, `${v3(cloud().demo)}/volumes/${created.id}`, ['available'])
  })

  const authOf = (token: string) => cloud().running.services.tokens.validate(token)
})
