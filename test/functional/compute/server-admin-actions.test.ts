import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, fakeDomain, instanceRow, waitForDeleted, waitForStatus } from '../../helpers/compute.js'

const SERVERS = '/compute/v2.1/servers'

describeEachDialect('compute admin actions (resetState, changePassword, trigger_crash_dump, restore, forceDelete)', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })

  const actionNames = async (id: string) => ((await cloud().admin.request('GET', `${SERVERS}/${id}/os-instance-actions`)).body.instanceActions as Array<{ action: string }>).map((a) => a.action)
  const allocations = async (id: string) => (await cloud().admin.request('GET', `/placement/allocations/${id}`)).body.allocations as Record<string, unknown>
  /** Placement is released just after the row is marked deleted (after its transaction commits). */
  const allocationsGone = async (id: string) => {
    const deadline = Date.now() + 10_000
    while (Object.keys(await allocations(id)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    return allocations(id)
  }

  test('os-resetState: admin sets vm_state, clears task_state, records resetState; others get 403/404; bad states 400', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { 'os-resetState': { state: 'error' } })).status, 403)
    assert.equal((await action(cloud().admin, server.id, { 'os-resetState': { state: 'paused' } })).status, 400)
    assert.equal((await action(cloud().admin, server.id, { 'os-resetState': {} })).status, 400)
    assert.equal((await action(cloud().admin, '00000000-0000-4000-8000-000000000000', { 'os-resetState': { state: 'error' } })).status, 404)
    await cloud().running.database.db.updateTable('instances').set({ task_state: 'rebooting' }).where('uuid', '=', server.id).execute()
    const res = await action(cloud().admin, server.id, { 'os-resetState': { state: 'error' } })
    assert.equal(res.status, 202, res.text)
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.vm_state, 'error')
    assert.equal(row.task_state, null)
    assert.equal((await cloud().demo.request('GET', `${SERVERS}/${server.id}`)).body.server.status, 'ERROR')
    assert.ok((await actionNames(server.id)).includes('resetState'))
    assert.equal((await action(cloud().admin, server.id, { 'os-resetState': { state: 'active' } })).status, 202)
    assert.equal((await instanceRow(cloud(), server.id)).vm_state, 'active')
    assert.ok(Object.keys(await allocations(server.id)).length > 0, 'the server keeps its allocations')
  })

  test('changePassword: 409 without a guest agent (Nova\'s QemuGuestAgentNotEnabled), 409 when not ACTIVE, 400 bad body; password never stored', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { changePassword: {} })).status, 400)
    assert.equal((await action(cloud().demo, server.id, { changePassword: { adminPass: 'x', extra: 1 } })).status, 400)
    const res = await action(cloud().demo, server.id, { changePassword: { adminPass: 'N3w-Secret-Pass' } })
    assert.equal(res.status, 409)
    assert.equal(res.body.conflictingRequest.message, 'QEMU guest agent is not enabled')
    assert.ok((await actionNames(server.id)).includes('changePassword'))
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.vm_state, 'active')
    assert.equal(row.task_state, null)
    assert.ok(!JSON.stringify(row).includes('N3w-Secret-Pass'))
    assert.equal((await action(cloud().demo, server.id, { 'os-stop': null })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    const stopped = await action(cloud().demo, server.id, { changePassword: { adminPass: 'N3w-Secret-Pass' } })
    assert.equal(stopped.status, 409)
    assert.equal(stopped.body.conflictingRequest.message, `Cannot 'changePassword' instance ${server.id} while it is in vm_state stopped`)
  })

  test('trigger_crash_dump (2.17): NMI to the guest, recorded; 404 before 2.17; 409 when stopped or locked; allowed when RESCUED', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { trigger_crash_dump: null }, '2.16')).status, 404)
    assert.equal((await action(cloud().demo, server.id, { trigger_crash_dump: {} }, '2.17')).status, 202)
    assert.equal((await action(cloud().demo, server.id, { trigger_crash_dump: { x: 1 } }, '2.17')).status, 400)
    const deadline = Date.now() + 10_000
    while (!fakeDomain(cloud(), server.id)?.console.some((l) => l.includes('NMI')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    assert.ok(fakeDomain(cloud(), server.id)?.console.some((l) => l.includes('NMI received')))
    assert.ok((await actionNames(server.id)).includes('trigger_crash_dump'))
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.vm_state, 'active')
    assert.equal(row.task_state, null)

    assert.equal((await action(cloud().demo, server.id, { rescue: null })).status, 200)
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    assert.equal((await action(cloud().demo, server.id, { trigger_crash_dump: null }, '2.17')).status, 202)
    assert.equal((await action(cloud().demo, server.id, { unrescue: null })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')

    assert.equal((await action(cloud().demo, server.id, { lock: null })).status, 202)
    const locked = await action(cloud().demo, server.id, { trigger_crash_dump: null }, '2.17')
    assert.equal(locked.status, 409)
    assert.equal(locked.body.conflictingRequest.message, `Instance ${server.id} is locked`)
    assert.equal((await action(cloud().demo, server.id, { unlock: null })).status, 202)
    assert.equal((await action(cloud().demo, server.id, { 'os-stop': null })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    const stopped = await action(cloud().demo, server.id, { trigger_crash_dump: null }, '2.17')
    assert.equal(stopped.status, 409)
    assert.equal(stopped.body.conflictingRequest.message, `Cannot 'trigger_crash_dump' instance ${server.id} while it is in vm_state stopped`)
  })

  test('a rescued server refuses changePassword with Nova\'s 409', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { rescue: null })).status, 200)
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    const res = await action(cloud().demo, server.id, { changePassword: { adminPass: 'whatever-pass' } })
    assert.equal(res.status, 409)
    assert.equal(res.body.conflictingRequest.message, `Cannot 'changePassword' instance ${server.id} while it is in vm_state rescued`)
  })

  test('without soft delete: restore is 409 (not SOFT_DELETED), forceDelete deletes at once and frees placement', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const restore = await action(cloud().demo, server.id, { restore: null })
    assert.equal(restore.status, 409)
    assert.equal(restore.body.conflictingRequest.message, `Cannot 'restore' instance ${server.id} while it is in vm_state active`)
    assert.equal((await action(cloud().demo, '00000000-0000-4000-8000-000000000000', { forceDelete: null })).status, 404)
    assert.equal((await action(cloud().demo, server.id, { forceDelete: null })).status, 202)
    await waitForDeleted(cloud().demo, server.id)
    assert.deepEqual(await allocationsGone(server.id), {})
  })
})
