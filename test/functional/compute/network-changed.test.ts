import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect, type TestCloud } from '../../helpers/cloud.js'
import { bootServer, createImage, fakeDomain, instanceRow } from '../../helpers/compute.js'

/** Queues `network_changed` for a server as the network service does, and waits for its end. */
async function networkChanged(cloud: TestCloud, serverId: string) {
  const { compute } = cloud.running.services
  const row = await instanceRow(cloud, serverId)
  const taskId = await compute.tasks.enqueue(cloud.running.database.db, { instanceUuid: serverId, host: row.host, actionId: null, task: { kind: 'network_changed' } })
  compute.tasks.notify(row.host)
  const done = await compute.tasks.waitFor(taskId, 10_000)
  assert.ok(done, 'network_changed did not finish')
  return done
}

async function actionCount(cloud: TestCloud, serverId: string): Promise<number> {
  const res = await cloud.demo.request('GET', `/compute/v2.1/servers/${serverId}/os-instance-actions`)
  assert.equal(res.status, 200, res.text)
  return res.body.instanceActions.length
}

describeEachDialect('network_changed: the agent applies the NICs\' forwards without a restart', (cloud) => {
  test('the fake driver applies the spec\'s forwards; the server keeps its states and gets no instance action', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { name: 'net-changed', imageRef: await createImage(demo, { visibility: 'private' }) })
    const before = await instanceRow(cloud(), server.id)
    const actions = await actionCount(cloud(), server.id)
    const consoleBefore = fakeDomain(cloud(), server.id)!.console.length
    const done = await networkChanged(cloud(), server.id)
    assert.equal(done.status, 'done', done.result ?? '')
    const after = await instanceRow(cloud(), server.id)
    assert.deepEqual([after.vm_state, after.task_state, after.power_state], [before.vm_state, before.task_state, before.power_state])
    assert.equal(await actionCount(cloud(), server.id), actions)
    const domain = fakeDomain(cloud(), server.id)!
    // Not rebooted: only the forwards line was added to the console.
    assert.deepEqual(domain.console.slice(consoleBefore).map((l) => l.split(' ').slice(0, 2).join(' ')), ['[fake] forwards'])
    // The demo project sees one network (`private`): one NIC, the server's port, with no floating IP and so no forward.
    const ports = await demo.request('GET', `/network/v2.0/ports?device_id=${server.id}`)
    assert.deepEqual((domain.nics ?? []).map((n) => n.portId), ports.body.ports.map((p: { id: string }) => p.id))
    assert.equal(domain.nics?.length, 1)
    assert.deepEqual(Object.values(domain.forwards ?? {}).flat(), [])
  })
})

describeEachDialect('network_changed that fails in the driver', (cloud) => {
  test('the task fails with a user-readable reason and the server stays as it was (no fault, no error state)', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { name: 'net-changed-fails', imageRef: await createImage(demo, { visibility: 'private' }) })
    const done = await networkChanged(cloud(), server.id)
    assert.equal(done.status, 'failed')
    assert.equal(JSON.parse(done.result!).error, 'Network update failed: fake applyForwards failed on purpose (LB_FAKE_FAILURE)')
    const show = await demo.request('GET', `/compute/v2.1/servers/${server.id}`)
    assert.equal(show.body.server.status, 'ACTIVE')
    assert.equal(show.body.server['OS-EXT-STS:task_state'], null)
    assert.equal(show.body.server.fault, undefined)
  })
}, { agent: { fakeFailOperations: ['applyForwards'] } })
