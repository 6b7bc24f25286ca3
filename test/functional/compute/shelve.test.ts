import assert from 'node:assert/strict'
import path from 'node:path'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, fakeDomain, instanceRow, waitForDeleted, waitForStatus } from '../../helpers/compute.js'
import { startComputeAgent } from '../../../src/agent/compute-agent.js'
import { FakeDriver } from '../../../src/virt/fake/fake-driver.js'
import { actionNames, allocationsGone, imageGone, allocationsOf, assertUsagesMatchServers, newestActionEvents, portHosts, waitForIdle } from './shelve-helpers.js'

const SERVERS = '/compute/v2.1/servers'
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

describeEachDialect('shelve, offloaded at once (shelved_offload_time 0, Nova\'s default)', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })
  const system = async (id: string) => JSON.parse((await instanceRow(cloud(), id)).system_metadata) as Record<string, string>

  test('ACTIVE → SHELVED_OFFLOADED with a <name>-shelved snapshot; nothing left on the host; unshelve boots from that image, which is then deleted', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId, name: 'keeper' })
    const host = (await instanceRow(cloud(), server.id)).host
    const res = await action(cloud().demo, server.id, { shelve: null })
    assert.equal(res.status, 202, res.text)
    assert.equal(res.text, '')
    const shelved = await waitForIdle(cloud(), server.id, 'SHELVED_OFFLOADED')
    assert.equal(shelved['OS-EXT-STS:vm_state'], 'shelved_offloaded')
    assert.equal(shelved['OS-EXT-SRV-ATTR:host'], null)
    assert.equal(shelved['OS-EXT-STS:power_state'], 0)
    const meta = await system(server.id)
    assert.ok(meta.shelved_at && meta.shelved_image_id, JSON.stringify(meta))
    assert.equal(meta.shelved_host, host)
    const image = (await cloud().demo.request('GET', `/image/v2/images/${meta.shelved_image_id}`)).body
    assert.equal(image.name, 'keeper-shelved')
    assert.equal(image.status, 'active')
    assert.equal(image.image_type, 'snapshot')
    assert.equal(image.instance_uuid, server.id)
    assert.equal(fakeDomain(cloud(), server.id), undefined, 'the domain and its disks are gone')
    assert.deepEqual(await allocationsGone(cloud(), server.id), {})
    for (const portHost of await portHosts(cloud(), server.id)) assert.equal(portHost, '')
    await assertUsagesMatchServers(cloud())
    assert.deepEqual((await newestActionEvents(cloud(), server.id)).map((e) => [e.event, e.result]), [['compute_shelve_instance', 'Success']])

    assert.equal((await action(cloud().demo, server.id, { unshelve: null })).status, 202)
    const back = await waitForIdle(cloud(), server.id, 'ACTIVE')
    assert.ok(back['OS-EXT-SRV-ATTR:host'])
    assert.equal(back.image.id, imageId, 'the server keeps its own image')
    assert.ok(JSON.stringify(fakeDomain(cloud(), server.id)!.layout).includes(`image:${meta.shelved_image_id}`), 'the root is made from the shelve image')
    assert.equal(await imageGone(cloud(), meta.shelved_image_id), 404, 'the shelve image is deleted')
    assert.deepEqual(Object.keys(await system(server.id)).filter((k) => k.startsWith('shelved_')), [])
    assert.ok(Object.keys(await allocationsOf(cloud(), server.id)).length > 0)
    for (const portHost of await portHosts(cloud(), server.id)) assert.equal(portHost, back['OS-EXT-SRV-ATTR:host'])
    await assertUsagesMatchServers(cloud())
    assert.deepEqual((await actionNames(cloud(), server.id)).slice(0, 2), ['unshelve', 'shelve'])
    const events = (await newestActionEvents(cloud(), server.id)).map((e) => [e.event, e.result])
    assert.deepEqual(events.sort(), [['compute_unshelve_instance', 'Success'], ['conductor_unshelve_instance', 'Success']])
  })

  test('refusals: RESCUED, locked, wrong states, shelveOffload for admins only, bodies per microversion; nothing changes', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { rescue: null })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    const rescued = await action(cloud().demo, server.id, { shelve: null })
    assert.equal(rescued.status, 409)
    assert.equal(rescued.body.conflictingRequest.message, `Cannot 'shelve' instance ${server.id} while it is in vm_state rescued`)
    await action(cloud().demo, server.id, { unrescue: null })
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    const notShelved = await action(cloud().demo, server.id, { unshelve: null })
    assert.equal(notShelved.status, 409)
    assert.equal(notShelved.body.conflictingRequest.message, `Cannot 'unshelve' instance ${server.id} while it is in vm_state active`)
    const offloadActive = await action(cloud().admin, server.id, { shelveOffload: null })
    assert.equal(offloadActive.status, 409)
    assert.equal(offloadActive.body.conflictingRequest.message, `Cannot 'shelveOffload' instance ${server.id} while it is in vm_state active`)
    assert.equal((await action(cloud().demo, server.id, { shelveOffload: null })).status, 403)
    assert.equal((await action(cloud().demo, server.id, { shelve: { force: true } })).status, 400)
    await action(cloud().demo, server.id, { lock: null })
    const locked = await action(cloud().demo, server.id, { shelve: null })
    assert.equal(locked.status, 409)
    assert.equal(locked.body.conflictingRequest.message, `Instance ${server.id} is locked`)
    await action(cloud().demo, server.id, { unlock: null })
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.vm_state, 'active')
    assert.equal(row.task_state, null)
    const other = await cloud().login('admin', 'admin-secret-pw', 'admin')
    assert.equal((await other.request('POST', `${SERVERS}/${server.id}/action`, { body: { shelve: null } })).status, 202, 'admin may shelve any server')
    await waitForIdle(cloud(), server.id, 'SHELVED_OFFLOADED')
    // Before 2.77 unshelve has no body schema; from 2.77: null or an existing zone (`{}` refused).
    assert.equal((await action(cloud().demo, server.id, { unshelve: {} }, '2.77')).status, 400)
    assert.equal((await action(cloud().demo, server.id, { unshelve: { availability_zone: 'nope' } }, '2.77')).status, 400)
    const noZone = await action(cloud().demo, server.id, { unshelve: { availability_zone: 'nope' } }, '2.77')
    assert.equal(noZone.body.badRequest.message, 'The requested availability zone is not available')
    assert.equal((await action(cloud().demo, server.id, { unshelve: { host: 'x' } }, '2.87')).status, 400, 'host arrives at 2.91, past Lifeboat\'s newest')
    assert.equal((await instanceRow(cloud(), server.id)).task_state, null)
    assert.equal((await action(cloud().demo, server.id, { unshelve: { availability_zone: 'nova' } }, '2.77')).status, 202)
    const back = await waitForIdle(cloud(), server.id, 'ACTIVE')
    assert.equal(back['OS-EXT-AZ:availability_zone'], 'nova')
    await assertUsagesMatchServers(cloud())
  })

  test('a STOPPED server shelves too; a volume-backed one makes no image and is offloaded, then boots from its volume', async () => {
    const stopped = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, stopped.id, { 'os-stop': null })
    await waitForStatus(cloud().demo, stopped.id, 'SHUTOFF')
    assert.equal((await action(cloud().demo, stopped.id, { shelve: null })).status, 202)
    await waitForIdle(cloud(), stopped.id, 'SHELVED_OFFLOADED')

    const create = await cloud().demo.request('POST', SERVERS, {
      body: { server: { name: 'bfv', flavorRef: '1', networks: 'none', block_device_mapping_v2: [{ boot_index: '0', source_type: 'image', uuid: imageId, destination_type: 'volume', volume_size: 1, delete_on_termination: true }] } },
      microversion: '2.37',
    })
    const id = create.body.server.id
    await waitForStatus(cloud().demo, id, 'ACTIVE')
    assert.equal((await action(cloud().demo, id, { shelve: null })).status, 202)
    await waitForIdle(cloud(), id, 'SHELVED_OFFLOADED')
    assert.equal((await system(id)).shelved_image_id, undefined, 'no image for a volume-backed server')
    assert.deepEqual(await allocationsGone(cloud(), id), {})
    assert.equal((await action(cloud().demo, id, { unshelve: null })).status, 202)
    await waitForIdle(cloud(), id, 'ACTIVE')
    assert.ok(JSON.stringify(fakeDomain(cloud(), id)!.layout).includes('volume'), 'the root volume boots again')
    await assertUsagesMatchServers(cloud())
  })

  test('restart safety: an unshelve the conductor had not queued resumes; an offload whose allocation was not freed frees it', async () => {
    const db = cloud().running.database.db
    const compute = cloud().running.services.compute
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const held = await db.selectFrom('placement_allocations').selectAll().where('consumer_uuid', '=', server.id).execute()
    assert.ok(held.length > 0)
    await action(cloud().demo, server.id, { shelve: null })
    await waitForIdle(cloud(), server.id, 'SHELVED_OFFLOADED')
    assert.deepEqual(await allocationsGone(cloud(), server.id), {})
    // As if the process stopped between the offload's transaction and the release of its allocation.
    await db.insertInto('placement_allocations').values(held).execute()
    await compute.recoverInterrupted()
    assert.deepEqual(await allocationsOf(cloud(), server.id), {})
    // As if the process stopped after the unshelve's transaction, before the conductor scheduled it.
    await db.updateTable('instances').set({ task_state: 'unshelving' }).where('uuid', '=', server.id).execute()
    await compute.conductor.resumePendingBuilds()
    await waitForIdle(cloud(), server.id, 'ACTIVE')
    await assertUsagesMatchServers(cloud())
  })

  test('an offloaded server is unshelved on another host when its own is disabled (scheduled again)', async () => {
    const dataDir = cloud().running.config.dataDir
    const driver = new FakeDriver({ stateFile: null, delayMs: 0, supportsBfvRescue: true, machineType: 'pc', vcpus: 8, memoryMb: 8192, diskGb: 80 })
    const credential = await cloud().running.services.agents.issueCredential('shelve-far')
    const agent = await startComputeAgent({ controlUrl: cloud().url, host: 'shelve-far', credential, driver, stateDir: path.join(dataDir, 'shelve-far'), log: quiet })
    const db = cloud().running.database.db
    try {
      const server = await bootServer(cloud().demo, { imageRef: imageId })
      const first = (await instanceRow(cloud(), server.id)).host!
      assert.equal((await action(cloud().demo, server.id, { shelve: null })).status, 202)
      await waitForIdle(cloud(), server.id, 'SHELVED_OFFLOADED')
      await db.updateTable('compute_services').set({ disabled: 1 }).where('host', '=', first).execute()
      try {
        assert.equal((await action(cloud().demo, server.id, { unshelve: null })).status, 202)
        const back = await waitForIdle(cloud(), server.id, 'ACTIVE')
        assert.notEqual(back['OS-EXT-SRV-ATTR:host'], first)
        assert.equal((await driver.getDomain(server.id))?.powerState, 1, 'the other host runs it')
        await assertUsagesMatchServers(cloud())
      } finally {
        await db.updateTable('compute_services').set({ disabled: 0 }).where('host', '=', first).execute()
      }
      await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)
      await waitForDeleted(cloud().demo, server.id)
    } finally {
      await agent.stop()
    }
  })
})

describeEachDialect('shelve kept on the host (shelved_offload_time -1)', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })

  test('SHELVED keeps the host, domain and allocation; an AZ is refused with Nova\'s 409; unshelve powers it on; shelveOffload offloads', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { shelve: null })).status, 202)
    const shelved = await waitForIdle(cloud(), server.id, 'SHELVED')
    assert.ok(shelved['OS-EXT-SRV-ATTR:host'])
    assert.equal(fakeDomain(cloud(), server.id)?.powerState, 4, 'powered off, disks kept')
    assert.ok(Object.keys(await allocationsOf(cloud(), server.id)).length > 0)
    await assertUsagesMatchServers(cloud())
    const imageIdShelved = JSON.parse((await instanceRow(cloud(), server.id)).system_metadata).shelved_image_id as string
    const az = await action(cloud().demo, server.id, { unshelve: { availability_zone: 'nova' } }, '2.77')
    assert.equal(az.status, 409)
    assert.equal(az.body.conflictingRequest.message, `Specifying an availability zone when unshelving server ${server.id} with status "shelved" is not supported. The server status must be SHELVED_OFFLOADED.`)
    assert.equal((await action(cloud().demo, server.id, { unshelve: null })).status, 202)
    await waitForIdle(cloud(), server.id, 'ACTIVE')
    assert.equal(fakeDomain(cloud(), server.id)?.powerState, 1)
    assert.equal(await imageGone(cloud(), imageIdShelved), 404)

    await action(cloud().demo, server.id, { shelve: null })
    await waitForIdle(cloud(), server.id, 'SHELVED')
    assert.equal((await action(cloud().admin, server.id, { shelveOffload: null })).status, 202)
    await waitForIdle(cloud(), server.id, 'SHELVED_OFFLOADED')
    assert.equal(fakeDomain(cloud(), server.id), undefined)
    assert.deepEqual(await allocationsGone(cloud(), server.id), {})
    assert.equal((await actionNames(cloud(), server.id))[0], 'shelveOffload')
    await assertUsagesMatchServers(cloud())
    const shelveImage = JSON.parse((await instanceRow(cloud(), server.id)).system_metadata).shelved_image_id as string
    assert.equal((await cloud().demo.request('GET', `/image/v2/images/${shelveImage}`)).status, 200)
    assert.equal((await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)).status, 204)
    await waitForDeleted(cloud().demo, server.id)
    assert.equal(await imageGone(cloud(), shelveImage), 404, 'deleting a shelved server deletes its shelve image (Nova _delete)')
  })
}, { compute: { shelvedOffloadTimeSeconds: -1 } })

describeEachDialect('shelve offloaded by the periodic job (shelved_offload_time 1)', (cloud) => {
  test('SHELVED, then SHELVED_OFFLOADED once the time has passed', async () => {
    const server = await bootServer(cloud().demo, { imageRef: await createImage(cloud().admin) })
    assert.equal((await action(cloud().demo, server.id, { shelve: null })).status, 202)
    await waitForIdle(cloud(), server.id, 'SHELVED')
    await waitForIdle(cloud(), server.id, 'SHELVED_OFFLOADED')
    assert.deepEqual(await allocationsGone(cloud(), server.id), {})
    await assertUsagesMatchServers(cloud())
  })
}, { compute: { shelvedOffloadTimeSeconds: 1 } })
