import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, createVolume, fakeDomain, instanceRow, waitForStatus } from '../../helpers/compute.js'

const STABLE = { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' }

describeEachDialect('rescue and unrescue (Nova part A)', (cloud) => {
  let imageId: string
  let rescueImageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
    rescueImageId = await createImage(cloud().admin, { name: 'rescue', properties: STABLE })
  })

  test('rescue answers 200 with adminPass, goes rescuing → RESCUE; unrescue answers 202 → ACTIVE', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const res = await action(cloud().demo, server.id, { rescue: { adminPass: 'MySecretPass' } })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { adminPass: 'MySecretPass' })
    const rescued = await waitForStatus(cloud().demo, server.id, 'RESCUE')
    assert.equal(rescued['OS-EXT-STS:vm_state'], 'rescued')
    const un = await action(cloud().demo, server.id, { unrescue: null })
    assert.equal(un.status, 202)
    assert.equal(un.text, '')
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.equal(fakeDomain(cloud(), server.id)!.rescued, false)
  })

  test('a generated password when none is given; `{"rescue": null}` and `{}` are accepted', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const res = await action(cloud().demo, server.id, { rescue: null })
    assert.equal(res.status, 200)
    assert.match(res.body.adminPass, /^[A-Za-z0-9]{12}$/)
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    assert.equal((await action(cloud().demo, server.id, { unrescue: {} })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
  })

  test('a stopped server can be rescued and unrescues to ACTIVE', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { 'os-stop': null })
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    assert.equal((await action(cloud().demo, server.id, { rescue: null })).status, 200)
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    assert.equal((await action(cloud().demo, server.id, { unrescue: null })).status, 202)
    const after = await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.equal(after['OS-EXT-STS:power_state'], 1)
  })

  test('rescue from PAUSED is 409 with Nova\'s message; unrescue of an ACTIVE server is 409', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const un = await action(cloud().demo, server.id, { unrescue: null })
    assert.equal(un.status, 409)
    assert.equal(un.body.conflictingRequest.message, `Cannot 'unrescue' instance ${server.id} while it is in vm_state active`)
    await action(cloud().demo, server.id, { pause: null })
    await waitForStatus(cloud().demo, server.id, 'PAUSED')
    const res = await action(cloud().demo, server.id, { rescue: null })
    assert.equal(res.status, 409)
    assert.equal(res.body.conflictingRequest.message, `Cannot 'rescue' instance ${server.id} while it is in vm_state paused`)
    assert.equal((await instanceRow(cloud(), server.id)).task_state, null)
  })

  test('a locked server refuses rescue (409) and nothing changes', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { lock: null })
    const res = await action(cloud().demo, server.id, { rescue: null })
    assert.equal(res.status, 409)
    assert.equal(res.body.conflictingRequest.message, `Instance ${server.id} is locked`)
    assert.equal((await instanceRow(cloud(), server.id)).vm_state, 'active')
  })

  test('while RESCUED, Nova refuses pause, suspend, stop, reboot, createImage and volume attach with 409; delete works', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { rescue: null })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    for (const body of [{ pause: null }, { suspend: null }, { 'os-stop': null }, { reboot: { type: 'SOFT' } }, { reboot: { type: 'HARD' } }, { createImage: { name: 'x' } }, { rescue: null }]) {
      const res = await action(cloud().demo, server.id, body)
      assert.equal(res.status, 409, JSON.stringify(body))
    }
    const volume = await createVolume(cloud().demo, { name: 'late' })
    const attach = await cloud().demo.request('POST', `/compute/v2.1/servers/${server.id}/os-volume_attachments`, { body: { volumeAttachment: { volumeId: volume.id } } })
    assert.equal(attach.status, 409)
    const console = await action(cloud().demo, server.id, { 'os-getConsoleOutput': { length: 50 } })
    assert.equal(console.status, 200)
    assert.match(console.body.output, /booting rescue image/)
    assert.equal((await cloud().demo.request('DELETE', `/compute/v2.1/servers/${server.id}`)).status, 204)
  })

  test('an unknown rescue image or one made from a volume snapshot is 400 UnsupportedRescueImage', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const missing = await action(cloud().demo, server.id, { rescue: { rescue_image_ref: '00000000-0000-4000-8000-000000000000' } })
    assert.equal(missing.status, 400)
    assert.equal(missing.body.badRequest.message, "Requested rescue image '00000000-0000-4000-8000-000000000000' is not supported")
    const bdmImage = await createImage(cloud().demo, { name: 'from-volume', properties: { block_device_mapping: '[]', bdm_v2: 'True' }, visibility: 'private' })
    const snap = await action(cloud().demo, server.id, { rescue: { rescue_image_ref: bdmImage } })
    assert.equal(snap.status, 400)
    assert.equal((await instanceRow(cloud(), server.id)).task_state, null)
  })

  test('a vTPM server is refused with 400', async () => {
    const vtpm = await createImage(cloud().admin, { name: 'vtpm', properties: { hw_tpm_version: '2.0', hw_tpm_model: 'tpm-crb' } })
    const server = await bootServer(cloud().demo, { imageRef: vtpm })
    const res = await action(cloud().demo, server.id, { rescue: null })
    assert.equal(res.status, 400)
    assert.match(res.body.badRequest.message, /vTPM/)
  })

  test('each rescue and unrescue is an instance action with start and finish events', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { rescue: { rescue_image_ref: rescueImageId } })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    await action(cloud().demo, server.id, { unrescue: null })
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    const list = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`)
    assert.deepEqual(list.body.instanceActions.map((a: { action: string }) => a.action), ['unrescue', 'rescue', 'create'])
    const rescue = list.body.instanceActions[1]
    const show = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${rescue.request_id}`, { microversion: '2.84' })
    const events = show.body.instanceAction.events.map((e: { event: string; result: string; finish_time: string | null }) => [e.event, e.result, e.finish_time !== null])
    // Newest first, as Nova lists them.
    assert.deepEqual(events, [
      ['lifeboat_rescue_boot', 'Success', true],
      ['lifeboat_rescue_shutdown', 'Success', true],
      ['lifeboat_rescue_choose_image', 'Success', true],
      ['compute_rescue_instance', 'Success', true],
    ])
    const times = show.body.instanceAction.events.map((e: { start_time: string }) => e.start_time)
    assert.deepEqual([...times].sort().reverse(), times, 'start times descend')
  })

  test('policy: a reader may not rescue (403)', async () => {
    const admin = cloud().admin
    const user = (await admin.request('POST', '/identity/v3/users', { body: { user: { name: 'reader-r', password: 'pw-reader' } } })).body.user
    const role = (await admin.request('GET', '/identity/v3/roles?name=reader')).body.roles[0]
    await admin.request('PUT', `/identity/v3/projects/${cloud().demo.projectId}/users/${user.id}/roles/${role.id}`)
    const reader = await cloud().login('reader-r', 'pw-reader', 'demo')
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const res = await action(reader, server.id, { rescue: null })
    assert.equal(res.status, 403)
    assert.equal(res.body.forbidden.message, "Policy doesn't allow os_compute_api:os-rescue to be performed.")
  })
})

describe('rescue with passwords turned off (enable_instance_password = false)', () => {
  describeEachDialect('no adminPass', (cloud) => {
    test('rescue answers {}', async () => {
      const imageId = await createImage(cloud().admin)
      const server = await bootServer(cloud().demo, { imageRef: imageId })
      const res = await action(cloud().demo, server.id, { rescue: null })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, {})
    })
  }, { compute: { enableInstancePassword: false } })
})
