import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, fakeDomain, instanceRow, waitForDeleted, waitForStatus } from '../../helpers/compute.js'

const SERVERS = '/compute/v2.1/servers'

describeEachDialect('compute soft delete (reclaim_instance_interval)', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })

  const allocations = async (id: string) => (await cloud().admin.request('GET', `/placement/allocations/${id}`)).body.allocations as Record<string, unknown>
  /** Placement is released just after the row is marked deleted (after its transaction commits). */
  const allocationsGone = async (id: string) => {
    const deadline = Date.now() + 10_000
    while (Object.keys(await allocations(id)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    return allocations(id)
  }
  const instancesUsed = async () => (await cloud().demo.request('GET', '/compute/v2.1/limits')).body.limits.absolute.totalInstancesUsed as number
  const actionNames = async (id: string) => ((await cloud().admin.request('GET', `${SERVERS}/${id}/os-instance-actions`)).body.instanceActions as Array<{ action: string }>).map((a) => a.action)

  test('DELETE soft-deletes (powered off, resources and quota kept); restore powers it on again', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const used = await instancesUsed()
    assert.equal((await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)).status, 204)
    const soft = await waitForStatus(cloud().demo, server.id, 'SOFT_DELETED')
    assert.equal(soft['OS-EXT-STS:vm_state'], 'soft-delete')
    assert.equal(soft['OS-EXT-STS:power_state'], 4)
    assert.equal(fakeDomain(cloud(), server.id)?.powerState, 4, 'the domain and its disks are kept, powered off')
    assert.ok(Object.keys(await allocations(server.id)).length > 0, 'placement keeps the allocations')
    assert.equal(await instancesUsed(), used, 'a soft-deleted server still counts')
    assert.ok((await instanceRow(cloud(), server.id)).deleted_at)

    // Actions other than restore/forceDelete are refused with Nova's 409.
    const start = await action(cloud().demo, server.id, { 'os-start': null })
    assert.equal(start.status, 409)
    assert.equal(start.body.conflictingRequest.message, `Cannot 'start' instance ${server.id} while it is in vm_state soft-delete`)

    assert.equal((await action(cloud().demo, server.id, { restore: null })).status, 202)
    const back = await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.equal(back['OS-EXT-STS:power_state'], 1)
    assert.equal((await instanceRow(cloud(), server.id)).deleted_at, null)
    assert.ok(Object.keys(await allocations(server.id)).length > 0)
    assert.deepEqual((await actionNames(server.id)).filter((a) => a === 'delete' || a === 'restore').sort(), ['delete', 'restore'])
    const again = await action(cloud().demo, server.id, { restore: null })
    assert.equal(again.status, 409)
    assert.equal(again.body.conflictingRequest.message, `Cannot 'restore' instance ${server.id} while it is in vm_state active`)
  })

  test('forceDelete deletes a soft-deleted server at once and frees placement; another project gets 404', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)).status, 204)
    await waitForStatus(cloud().demo, server.id, 'SOFT_DELETED')
    const adminServer = await bootServer(cloud().admin, { imageRef: imageId })
    assert.equal((await action(cloud().demo, adminServer.id, { forceDelete: null })).status, 404)
    assert.equal((await action(cloud().demo, adminServer.id, { restore: null })).status, 404)
    assert.equal((await action(cloud().demo, server.id, { forceDelete: null })).status, 202)
    await waitForDeleted(cloud().demo, server.id)
    assert.deepEqual(await allocationsGone(server.id), {})
    assert.equal((await cloud().admin.request('DELETE', `${SERVERS}/${adminServer.id}`)).status, 204)
    await waitForStatus(cloud().admin, adminServer.id, 'SOFT_DELETED')
  })

  test('the periodic reclaim deletes servers soft-deleted longer than the interval (a lock does not stop it)', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)).status, 204)
    await waitForStatus(cloud().demo, server.id, 'SOFT_DELETED')
    assert.equal((await action(cloud().admin, server.id, { lock: null })).status, 202)
    await cloud().running.database.db.updateTable('instances').set({ deleted_at: new Date(Date.now() - 7200_000).toISOString() }).where('uuid', '=', server.id).execute()
    await waitForDeleted(cloud().demo, server.id)
    assert.deepEqual(await allocationsGone(server.id), {})
  })

  test('a server that never launched is deleted at once, not soft-deleted', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await cloud().running.database.db.updateTable('instances').set({ launched_at: null }).where('uuid', '=', server.id).execute()
    assert.equal((await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)).status, 204)
    await waitForDeleted(cloud().demo, server.id)
    assert.deepEqual(await allocationsGone(server.id), {})
  })
}, { compute: { reclaimInstanceIntervalSeconds: 3600 } })
