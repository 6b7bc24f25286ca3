import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect, type TestCloud } from '../../helpers/cloud.js'
import { action, bootServer, createImage, fakeDomain, instanceRow, waitForStatus } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'

const SERVERS = '/compute/v2.1/servers'

/** The resize's migration row (newest first). */
function migrationsOf(cloud: TestCloud, id: string) {
  return cloud.running.database.db.selectFrom('migrations').selectAll().where('instance_uuid', '=', id).orderBy('id', 'desc').execute()
}

async function allocations(cloud: TestCloud, consumer: string): Promise<Record<string, { resources: Record<string, number> }>> {
  return (await cloud.admin.request('GET', `/placement/allocations/${consumer}`)).body.allocations
}

/** The one fake host's usages, and what the live servers' flavors add up to. */
async function usagesAndFlavors(cloud: TestCloud): Promise<{ usages: Record<string, number>; flavors: Record<string, number> }> {
  const providers = (await cloud.admin.request('GET', '/placement/resource_providers')).body.resource_providers as Array<{ uuid: string }>
  const usages = (await cloud.admin.request('GET', `/placement/resource_providers/${providers[0]!.uuid}/usages`)).body.usages as Record<string, number>
  const rows = await cloud.running.database.db.selectFrom('instances').select('flavor').where('deleted', '=', 0).execute()
  const flavors = { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 }
  for (const row of rows) {
    const f = JSON.parse(row.flavor) as { vcpus: number; ram: number; disk: number }
    flavors.VCPU += f.vcpus
    flavors.MEMORY_MB += f.ram
    flavors.DISK_GB += f.disk
  }
  return { usages, flavors }
}

async function createFlavor(cloud: TestCloud, flavor: Record<string, unknown>): Promise<string> {
  const res = await cloud.admin.request('POST', '/compute/v2.1/flavors', { body: { flavor } })
  assert.equal(res.status, 200, res.text)
  return res.body.flavor.id
}

async function lastAction(cloud: TestCloud, id: string) {
  const actions = (await cloud.admin.request('GET', `${SERVERS}/${id}/os-instance-actions`)).body.instanceActions
  const shown = await cloud.admin.request('GET', `${SERVERS}/${id}/os-instance-actions/${actions[0].request_id}`, { microversion: '2.84' })
  return shown.body.instanceAction as { action: string; message: string | null; events: Array<{ event: string; result: string; details: string | null }> }
}

describeEachDialect('resize, confirmResize, revertResize (Nova _resize)', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })

  test('ACTIVE → RESIZE → VERIFY_RESIZE with the new flavor, both allocations held, events; confirm: ACTIVE, the migration\'s allocation freed', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const res = await action(cloud().demo, server.id, { resize: { flavorRef: '2' } })
    assert.equal(res.status, 202, res.text)
    assert.equal(res.text, '')
    const resized = await waitForStatus(cloud().demo, server.id, 'VERIFY_RESIZE')
    assert.equal(resized.flavor.id, '2')
    assert.equal(resized['OS-EXT-STS:vm_state'], 'resized')
    assert.equal(resized['OS-EXT-STS:power_state'], 1)
    const [migration] = await migrationsOf(cloud(), server.id)
    assert.equal(migration!.status, 'finished')
    assert.equal(migration!.migration_type, 'resize')
    assert.equal(migration!.old_instance_type_id, '1')
    assert.equal(migration!.new_instance_type_id, '2')
    assert.equal(migration!.source_compute, migration!.dest_compute)
    const held = Object.values(await allocations(cloud(), migration!.uuid))[0]!.resources
    assert.deepEqual(held, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 })
    assert.deepEqual(Object.values(await allocations(cloud(), server.id))[0]!.resources, { VCPU: 1, MEMORY_MB: 2048, DISK_GB: 20 })
    const during = await usagesAndFlavors(cloud())
    assert.equal(during.usages.MEMORY_MB, during.flavors.MEMORY_MB + 512, 'during VERIFY_RESIZE both flavors are held')
    assert.ok(fakeDomain(cloud(), server.id)!.console.some((line) => line.includes('resized to 1 vCPUs, 2048 MiB')))
    const resize = await lastAction(cloud(), server.id)
    assert.equal(resize.action, 'resize')
    for (const event of ['compute_prep_resize', 'compute_resize_instance', 'compute_finish_resize']) {
      assert.equal(resize.events.find((e) => e.event === event)?.result, 'Success', event)
    }

    const confirm = await action(cloud().demo, server.id, { confirmResize: null })
    assert.equal(confirm.status, 204, confirm.text)
    const active = await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.equal(active.flavor.id, '2')
    assert.equal((await migrationsOf(cloud(), server.id))[0]!.status, 'confirmed')
    await waitUntil(async () => Object.keys(await allocations(cloud(), migration!.uuid)).length === 0, { timeoutMs: 10_000, intervalMs: 50, what: 'the migration\'s allocation to be freed' })
    const after = await usagesAndFlavors(cloud())
    assert.deepEqual(after.usages, after.flavors, 'afterwards: the live servers\' flavors')
    assert.equal((await lastAction(cloud(), server.id)).action, 'confirmResize')
    // Confirmed: a second confirm is Nova's 409 (vm_state active now).
    const again = await action(cloud().demo, server.id, { confirmResize: null })
    assert.equal(again.status, 409)
    assert.equal(again.body.conflictingRequest.message, `Cannot 'confirmResize' instance ${server.id} while it is in vm_state active`)
    await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)
  })

  test('a STOPPED server stays SHUTOFF; revertResize brings the old flavor and allocation back', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { 'os-stop': null })
    await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    assert.equal((await action(cloud().demo, server.id, { resize: { flavorRef: 3, 'OS-DCF:diskConfig': 'AUTO' } })).status, 202)
    const resized = await waitForStatus(cloud().demo, server.id, 'VERIFY_RESIZE')
    assert.equal(resized['OS-EXT-STS:power_state'], 4)
    assert.equal(resized.flavor.id, '3')
    const revert = await action(cloud().demo, server.id, { revertResize: null })
    assert.equal(revert.status, 202, revert.text)
    const back = await waitForStatus(cloud().demo, server.id, 'SHUTOFF')
    assert.equal(back.flavor.id, '1')
    const [migration] = await migrationsOf(cloud(), server.id)
    assert.equal(migration!.status, 'reverted')
    assert.deepEqual(await allocations(cloud(), migration!.uuid), {})
    assert.deepEqual(Object.values(await allocations(cloud(), server.id))[0]!.resources, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 })
    const after = await usagesAndFlavors(cloud())
    assert.deepEqual(after.usages, after.flavors)
    const revertAction = await lastAction(cloud(), server.id)
    assert.equal(revertAction.action, 'revertResize')
    assert.equal(revertAction.events.find((e) => e.event === 'compute_finish_revert_resize')?.result, 'Success')
    await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)
  })

  test('DELETE in VERIFY_RESIZE frees both allocations and ends the migration confirmed', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { resize: { flavorRef: '2' } })
    await waitForStatus(cloud().demo, server.id, 'VERIFY_RESIZE')
    const [migration] = await migrationsOf(cloud(), server.id)
    assert.equal((await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)).status, 204)
    await waitUntil(async () => Object.keys(await allocations(cloud(), migration!.uuid)).length === 0 && Object.keys(await allocations(cloud(), server.id)).length === 0,
      { timeoutMs: 10_000, intervalMs: 50, what: 'both allocations to be freed' })
    await waitUntil(async () => (await migrationsOf(cloud(), server.id))[0]!.status === 'confirmed', { timeoutMs: 10_000, intervalMs: 50, what: 'the migration to end confirmed' })
  })

  test('refusals with Nova\'s texts (400, 404, 409), the body per schema; nothing changes', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const bad = async (body: unknown) => {
      const res = await action(cloud().demo, server.id, { resize: body })
      assert.equal(res.status, 400, JSON.stringify(body))
      return res.body.badRequest.message as string
    }
    assert.equal(await bad({ flavorRef: '1' }), 'When resizing, instances must change flavor!')
    assert.equal(await bad({ flavorRef: '999' }), 'Flavor 999 could not be found.')
    assert.match(await bad({}), /Invalid input for field\/attribute resize/)
    assert.match(await bad({ flavorRef: '2', extra: 1 }), /Invalid input for field\/attribute resize/)
    assert.match(await bad({ flavorRef: '2', 'OS-DCF:diskConfig': 'SOMETIMES' }), /Invalid input for field\/attribute resize/)
    assert.match(await bad(null), /Invalid input for field\/attribute resize/)
    const zero = await createFlavor(cloud(), { name: 'zero-disk', ram: 512, vcpus: 1, disk: 0 })
    assert.equal(await bad({ flavorRef: zero }), 'Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.')
    const disabled = await createFlavor(cloud(), { name: 'disabled', ram: 512, vcpus: 1, disk: 2 })
    await cloud().running.database.db.updateTable('flavors').set({ disabled: 1 }).where('id', '=', disabled).execute()
    assert.equal(await bad({ flavorRef: disabled }), `Flavor ${disabled} could not be found.`)

    // Not resized: confirm and revert are 409 on the vm_state.
    for (const name of ['confirmResize', 'revertResize']) {
      const res = await action(cloud().demo, server.id, { [name]: null })
      assert.equal(res.status, 409)
      assert.equal(res.body.conflictingRequest.message, `Cannot '${name}' instance ${server.id} while it is in vm_state active`)
    }
    // Another project's server is 404.
    const other = await bootServer(cloud().admin, { imageRef: imageId })
    assert.equal((await action(cloud().demo, other.id, { resize: { flavorRef: '2' } })).status, 404)
    await cloud().admin.request('DELETE', `${SERVERS}/${other.id}`)

    await action(cloud().demo, server.id, { lock: null })
    const locked = await action(cloud().demo, server.id, { resize: { flavorRef: '2' } })
    assert.equal(locked.status, 409)
    assert.equal(locked.body.conflictingRequest.message, `Instance ${server.id} is locked`)
    await action(cloud().demo, server.id, { unlock: null })

    await action(cloud().demo, server.id, { rescue: null })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    const rescued = await action(cloud().demo, server.id, { resize: { flavorRef: '2' } })
    assert.equal(rescued.status, 409)
    assert.equal(rescued.body.conflictingRequest.message, `Cannot 'resize' instance ${server.id} while it is in vm_state rescued`)
    assert.equal((await instanceRow(cloud(), server.id)).vm_state, 'rescued')
    assert.deepEqual(await migrationsOf(cloud(), server.id), [])
    await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)
  })

  test('a smaller root disk and a host without room for both: 202, the action fails with Nova\'s words, the server as it was', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId, flavorRef: '2' })
    assert.equal((await action(cloud().demo, server.id, { resize: { flavorRef: '1' } })).status, 202)
    const down = await lastAction(cloud(), server.id)
    assert.equal(down.action, 'resize')
    assert.equal(down.message, 'Error')
    assert.equal(down.events.find((e) => e.event === 'compute_resize_instance')?.details, 'Resize error: Unable to resize disk down.')
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.vm_state, 'active')
    assert.equal(row.task_state, null)
    assert.equal((await migrationsOf(cloud(), server.id))[0]!.status, 'error')
    await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)

    // 32768 MiB at a ratio of 1.5 hold 49152: 30000 + 30720 do not fit on the one host.
    const big = await createFlavor(cloud(), { name: 'big', ram: 30000, vcpus: 1, disk: 1 })
    const bigger = await createFlavor(cloud(), { name: 'bigger', ram: 30720, vcpus: 1, disk: 1 })
    const large = await bootServer(cloud().admin, { imageRef: imageId, flavorRef: big })
    assert.equal((await action(cloud().admin, large.id, { resize: { flavorRef: bigger } })).status, 202)
    const full = await lastAction(cloud(), large.id)
    assert.equal(full.events.find((e) => e.event === 'conductor_migrate_server')?.details, 'No valid host was found. No valid host found for resize')
    assert.equal((await instanceRow(cloud(), large.id)).vm_state, 'active')
    assert.deepEqual(Object.values(await allocations(cloud(), large.id))[0]!.resources, { VCPU: 1, MEMORY_MB: 30000, DISK_GB: 1 })
    const after = await usagesAndFlavors(cloud())
    assert.deepEqual(after.usages, after.flavors)
    await cloud().admin.request('DELETE', `${SERVERS}/${large.id}`)
  })

  test('the quota for the upsize: 403 TooManyInstances in Nova\'s words', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const used = (await cloud().demo.request('GET', '/compute/v2.1/limits')).body.limits.absolute.totalCoresUsed as number
    const put = await cloud().admin.request('PUT', `/compute/v2.1/os-quota-sets/${cloud().demo.projectId}`, { body: { quota_set: { cores: used } } })
    assert.equal(put.status, 200, put.text)
    try {
      const res = await action(cloud().demo, server.id, { resize: { flavorRef: '3' } })
      assert.equal(res.status, 403, res.text)
      assert.equal(res.body.forbidden.message, `Quota exceeded for cores: Requested 1, but already used ${used} of ${used} cores`)
      assert.equal((await instanceRow(cloud(), server.id)).task_state, null)
    } finally {
      await cloud().admin.request('PUT', `/compute/v2.1/os-quota-sets/${cloud().demo.projectId}`, { body: { quota_set: { cores: 20 } } })
    }
    await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)
  })
})

describeEachDialect('resize failures leave nothing behind', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })

  test('a failed resize task: ACTIVE again with the old flavor and allocation, the migration in error, the action failed', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { resize: { flavorRef: '2' } })).status, 202)
    await waitUntil(async () => (await instanceRow(cloud(), server.id)).task_state === null, { timeoutMs: 10_000, intervalMs: 50, what: 'the resize to end' })
    const row = await instanceRow(cloud(), server.id)
    assert.equal(row.vm_state, 'active')
    assert.equal(JSON.parse(row.flavor).id, '1')
    const [migration] = await migrationsOf(cloud(), server.id)
    assert.equal(migration!.status, 'error')
    assert.deepEqual(await allocations(cloud(), migration!.uuid), {})
    assert.deepEqual(Object.values(await allocations(cloud(), server.id))[0]!.resources, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 })
    assert.equal((await lastAction(cloud(), server.id)).message, 'Error')
    assert.equal(fakeDomain(cloud(), server.id)!.powerState, 1, 'the old spec runs again')
    const after = await usagesAndFlavors(cloud())
    assert.deepEqual(after.usages, after.flavors)
    await cloud().demo.request('DELETE', `${SERVERS}/${server.id}`)
  })
}, { agent: { fakeFailOperations: ['resize'] } })

describeEachDialect('resize_confirm_window (LIFEBOAT_RESIZE_CONFIRM_WINDOW)', (cloud) => {
  test('a resize left in VERIFY_RESIZE is confirmed on its own after the window', async () => {
    const imageId = await createImage(cloud().admin)
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { resize: { flavorRef: '42' } })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'VERIFY_RESIZE')
    const active = await waitForStatus(cloud().demo, server.id, 'ACTIVE', { timeoutMs: 15_000 })
    assert.equal(active.flavor.id, '42')
    const [migration] = await migrationsOf(cloud(), server.id)
    assert.equal(migration!.status, 'confirmed')
    await waitUntil(async () => Object.keys(await allocations(cloud(), migration!.uuid)).length === 0, { timeoutMs: 10_000, intervalMs: 50, what: 'the migration\'s allocation to be freed' })
  })
}, { compute: { resizeConfirmWindowSeconds: 2 } })
