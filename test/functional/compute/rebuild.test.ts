import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, fakeDomain, instanceRow, waitForStatus } from '../../helpers/compute.js'

const SERVERS = '/compute/v2.1/servers'

describeEachDialect('rebuild (Nova _action_rebuild)', (cloud) => {
  let imageId: string
  let newImageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
    newImageId = await createImage(cloud().admin, { name: 'new-image' })
  })

  test('ACTIVE: 202 with the server (new image, name, metadata, adminPass), REBUILD → ACTIVE, the root recreated from the new image, action and event', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId, metadata: { old: '1' } })
    const res = await action(cloud().demo, server.id, { rebuild: { imageRef: newImageId, name: 'rebuilt', metadata: { fresh: 'yes' }, adminPass: 'Secret123' } })
    assert.equal(res.status, 202, res.text)
    assert.equal(res.body.server.id, server.id)
    assert.equal(res.body.server.name, 'rebuilt')
    assert.equal(res.body.server.image.id, newImageId)
    assert.deepEqual(res.body.server.metadata, { fresh: 'yes' })
    assert.equal(res.body.server.adminPass, 'Secret123')
    assert.equal(res.body.server.status, 'REBUILD')
    const after = await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.equal(after.image.id, newImageId)
    assert.equal(after.name, 'rebuilt')
    assert.equal(after['OS-EXT-STS:power_state'], 1)
    const layout = JSON.stringify(fakeDomain(cloud(), server.id)!.layout)
    assert.ok(layout.includes(`image:${newImageId}`), layout)
    assert.ok(!layout.includes(`image:${imageId}`), layout)
    const actions = (await cloud().demo.request('GET', `${SERVERS}/${server.id}/os-instance-actions`)).body.instanceActions
    assert.equal(actions[0].action, 'rebuild')
    const shown = await cloud().admin.request('GET', `${SERVERS}/${server.id}/os-instance-actions/${actions[0].request_id}`, { microversion: '2.84' })
    const event = shown.body.instanceAction.events.find((e: { event: string }) => e.event === 'compute_rebuild_instance')
    assert.equal(event.result, 'Success')
  })

  test('a STOPPED server is rebuilt and stays SHUTOFF with the new image', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { 'os-stop': null })
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    assert.equal((await action(cloud().demo, server.id, { rebuild: { imageRef: newImageId } })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.task_state, null)
    assert.equal(row.image_ref, newImageId)
  })

  test('RESCUED and PAUSED are 409 with Nova\'s text; locked is 409; nothing changes', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { rescue: null })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    const rescued = await action(cloud().demo, server.id, { rebuild: { imageRef: newImageId } })
    assert.equal(rescued.status, 409)
    assert.equal(rescued.body.conflictingRequest.message, `Cannot 'rebuild' instance ${server.id} while it is in vm_state rescued`)
    await action(cloud().demo, server.id, { unrescue: null })
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    await action(cloud().demo, server.id, { lock: null })
    const locked = await action(cloud().demo, server.id, { rebuild: { imageRef: newImageId } })
    assert.equal(locked.status, 409)
    assert.equal(locked.body.conflictingRequest.message, `Instance ${server.id} is locked`)
    assert.equal((await instanceRow(cloud(), server.id)).image_ref, imageId)
  })

  test('the body per microversion and the image checks (400 with Nova\'s texts)', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const bad = async (body: Record<string, unknown>, microversion?: string) => {
      const res = await action(cloud().demo, server.id, { rebuild: body }, microversion)
      assert.equal(res.status, 400, JSON.stringify(body))
      return res.body.badRequest.message as string
    }
    await bad({ name: 'x' })
    assert.equal(await bad({ imageRef: newImageId, description: 'd' }), "Invalid input for field/attribute rebuild. Additional properties are not allowed ('description' was unexpected)")
    assert.match(await bad({ imageRef: newImageId, key_name: null }, '2.53'), /'key_name' was unexpected/)
    assert.match(await bad({ imageRef: newImageId, personality: [] }, '2.57'), /'personality' was unexpected/)
    // hostname arrives at 2.90, past Lifeboat's newest compute microversion: always refused.
    assert.match(await bad({ imageRef: newImageId, hostname: 'h' }, '2.87'), /'hostname' was unexpected/)
    assert.equal(await bad({ imageRef: 'not-a-uuid' }), 'Invalid imageRef provided.')
    assert.equal(await bad({ imageRef: '00000000-0000-4000-8000-000000000000' }), 'Cannot find image for rebuild')
    assert.equal(await bad({ imageRef: newImageId, key_name: 'nope' }, '2.54'), 'Invalid key_name provided.')
    assert.equal((await instanceRow(cloud(), server.id)).task_state, null)
    const res = await action(cloud().demo, server.id, { rebuild: { imageRef: newImageId, description: 'again', key_name: null, user_data: 'aGVsbG8=' } }, '2.87')
    assert.equal(res.status, 202, res.text)
    assert.equal(res.body.server.description, 'again')
    assert.equal(res.body.server.key_name, null)
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.user_data, 'aGVsbG8=')
  })

  test('another project\'s private image is not found (400), and the server is not touched', async () => {
    const privateImage = await createImage(cloud().admin, { name: 'admins-only', visibility: 'private' })
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const res = await action(cloud().demo, server.id, { rebuild: { imageRef: privateImage } })
    assert.equal(res.status, 400)
    assert.equal(res.body.badRequest.message, 'Cannot find image for rebuild')
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.image_ref, imageId)
    assert.equal(row.task_state, null)
  })

  test('the fake driver records the ephemeral disk kept by preserve_ephemeral, and a new one without it', async () => {
    const flavor = await cloud().admin.request('POST', '/compute/v2.1/flavors', { body: { flavor: { name: 'eph', ram: 512, vcpus: 1, disk: 1, 'OS-FLV-EXT-DATA:ephemeral': 1, 'os-flavor-access:is_public': true } } })
    assert.equal(flavor.status, 200, flavor.text)
    const server = await bootServer(cloud().demo, { imageRef: imageId, flavorRef: flavor.body.flavor.id })
    assert.equal((await action(cloud().demo, server.id, { rebuild: { imageRef: newImageId, preserve_ephemeral: true } })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.deepEqual(fakeDomain(cloud(), server.id)!.keptDisks, ['ephemeral0'])
    assert.equal((await action(cloud().demo, server.id, { rebuild: { imageRef: newImageId } })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.equal(fakeDomain(cloud(), server.id)!.keptDisks, undefined)
  })

  describe('volume-backed', () => {
    test('a different image is refused with Nova\'s 400; the same image is rebuilt', async () => {
      const create = await cloud().demo.request('POST', SERVERS, {
        body: { server: { name: 'bfv', flavorRef: '1', networks: 'none', block_device_mapping_v2: [{ boot_index: '0', source_type: 'image', uuid: imageId, destination_type: 'volume', volume_size: 1, delete_on_termination: true }] } },
        microversion: '2.37',
      })
      assert.equal(create.status, 202, create.text)
      const id = create.body.server.id
      await waitForStatus(cloud().demo, id, 'ACTIVE')
      const res = await action(cloud().demo, id, { rebuild: { imageRef: newImageId } })
      assert.equal(res.status, 400)
      assert.equal(res.body.badRequest.message, `Image ${newImageId} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`)
      assert.equal((await action(cloud().demo, id, { rebuild: { imageRef: imageId } })).status, 202)
      await waitForStatus(cloud().demo, id, 'ACTIVE')
    })
  })
})
