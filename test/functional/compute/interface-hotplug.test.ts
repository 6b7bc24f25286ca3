import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect, type TestCloud } from '../../helpers/cloud.js'
import { action, bootServer, createImage, fakeDomain, instanceRow, waitForStatus } from '../../helpers/compute.js'
import type { Session } from '../../helpers/cloud.js'
import { waitUntil } from '../../helpers/wait-until.js'
import { NET, createPort } from '../network/network-helpers.js'

const SERVERS = '/compute/v2.1/servers'

function attach(session: Session, serverId: string, body: Record<string, unknown>) {
  return session.request('POST', `${SERVERS}/${serverId}/os-interface`, { body: { interfaceAttachment: body } })
}

function detach(session: Session, serverId: string, portId: string) {
  return session.request('DELETE', `${SERVERS}/${serverId}/os-interface/${portId}`)
}

/** The server's instance action `name` (the newest), with its events as an admin sees them, once it finished. */
async function finishedAction(cloud: TestCloud, serverId: string, name: string): Promise<any> {
  return waitUntil(async () => {
    const list = (await cloud.admin.request('GET', `${SERVERS}/${serverId}/os-instance-actions`)).body.instanceActions
    const entry = list.find((a: any) => a.action === name)
    if (!entry) return undefined
    const shown = (await cloud.admin.request('GET', `${SERVERS}/${serverId}/os-instance-actions/${entry.request_id}`, { microversion: '2.84' })).body.instanceAction
    if (!(shown.events.length > 0 && shown.events.every((e: any) => e.finish_time))) return undefined
    // The agent records the events before it sends the task's result: wait until that result is applied too.
    const open = await cloud.running.database.db.selectFrom('tasks').select('id').where('instance_uuid', '=', serverId)
      .where('status', 'in', ['queued', 'leased']).execute()
    return open.length === 0 ? shown : undefined
  }, { timeoutMs: 10_000, intervalMs: 50, what: `action ${name} of ${serverId} did not finish` })
}

async function serverPorts(session: Session, serverId: string): Promise<any[]> {
  return (await session.request('GET', `${NET}/ports?device_id=${serverId}`)).body.ports
}

describeEachDialect('os-interface on a running server: the NIC is plugged and unplugged live', (cloud) => {
  let imageRef = ''
  let privateId = ''
  before(async () => {
    imageRef = await createImage(cloud().admin)
    privateId = (await cloud().admin.request('GET', `${NET}/networks?name=private`)).body.networks[0].id
  })

  test('ACTIVE: attach by network plugs a new port into the guest (no reboot); detach unplugs it and deletes the port', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { imageRef, name: 'hotplug' })
    const consoleBefore = fakeDomain(cloud(), server.id)!.console.length
    const attached = await attach(demo, server.id, { net_id: privateId, fixed_ips: [{ ip_address: '10.0.0.88' }] })
    assert.equal(attached.status, 200, attached.text)
    const view = attached.body.interfaceAttachment
    assert.deepEqual(view.fixed_ips.map((f: any) => f.ip_address), ['10.0.0.88'])
    assert.equal(view.port_state, 'ACTIVE')
    const row = await instanceRow(cloud(), server.id)
    const port = (await cloud().admin.request('GET', `${NET}/ports/${view.port_id}`)).body.port
    assert.deepEqual([port.device_id, port.device_owner, port['binding:host_id'], port.status], [server.id, 'compute:nova', row.host, 'ACTIVE'])
    const shown = (await demo.request('GET', `${SERVERS}/${server.id}`)).body.server
    assert.deepEqual([shown.status, shown['OS-EXT-STS:task_state']], ['ACTIVE', null])
    assert.deepEqual(shown.addresses.private.map((a: any) => a.addr).sort(), [...(server.addresses.private.map((a: any) => a.addr)), '10.0.0.88'].sort())
    const domain = fakeDomain(cloud(), server.id)!
    assert.deepEqual(domain.nics!.map((n) => n.portId), [(await serverPorts(demo, server.id)).find((p) => p.id !== view.port_id).id, view.port_id], 'the boot\'s NIC, then the plugged one')
    assert.deepEqual(domain.console.slice(consoleBefore).map((l) => l.split(' ').slice(0, 3).join(' ')), ['[fake] nic hot-plugged'])
    const attachAction = await finishedAction(cloud(), server.id, 'attach_interface')
    assert.deepEqual(attachAction.events.map((e: any) => [e.event, e.result]), [['compute_attach_interface', 'Success']])

    assert.equal((await detach(demo, server.id, view.port_id)).status, 202)
    const detachAction = await finishedAction(cloud(), server.id, 'detach_interface')
    assert.deepEqual(detachAction.events.map((e: any) => [e.event, e.result]), [['compute_detach_interface', 'Success']])
    assert.equal((await demo.request('GET', `${NET}/ports/${view.port_id}`)).status, 404)
    assert.equal((await demo.request('GET', `${SERVERS}/${server.id}`)).body.server.addresses.private.length, 1)
    const after = fakeDomain(cloud(), server.id)!
    assert.equal(after.nics!.length, 1)
    assert.ok(!after.console.slice(consoleBefore).some((l) => l.startsWith('[fake] booting')), 'the guest was not rebooted')
    assert.equal(after.console.at(-1)?.startsWith('[fake] nic hot-unplugged'), true)
  })

  test('ACTIVE and PAUSED: the user\'s own port is bound and plugged, then unbound (kept) on detach', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { imageRef, name: 'hotplug-user-port' })
    assert.equal((await action(demo, server.id, { pause: null })).status, 202)
    await waitForStatus(demo, server.id, 'PAUSED')
    const mine = await createPort(demo, privateId, { name: 'mine' })
    const attached = await attach(demo, server.id, { port_id: mine.id })
    assert.equal(attached.status, 200, attached.text)
    assert.equal(attached.body.interfaceAttachment.port_id, mine.id)
    assert.equal(attached.body.interfaceAttachment.mac_addr, mine.mac_address)
    const bound = (await demo.request('GET', `${NET}/ports/${mine.id}`)).body.port
    assert.deepEqual([bound.device_id, bound.status], [server.id, 'ACTIVE'])
    assert.ok(fakeDomain(cloud(), server.id)!.nics!.some((n) => n.portId === mine.id && n.mac === mine.mac_address))
    assert.equal((await action(demo, server.id, { unpause: null })).status, 202)
    await waitForStatus(demo, server.id, 'ACTIVE')
    assert.equal((await detach(demo, server.id, mine.id)).status, 202)
    await finishedAction(cloud(), server.id, 'detach_interface')
    const unbound = (await cloud().admin.request('GET', `${NET}/ports/${mine.id}`)).body.port
    assert.deepEqual([unbound.device_id, unbound.device_owner, unbound['binding:host_id'], unbound.status], ['', '', '', 'DOWN'])
    assert.ok(!fakeDomain(cloud(), server.id)!.nics!.some((n) => n.portId === mine.id))
    // Unbound, the port can go to another server's boot or attach again.
    assert.equal((await attach(demo, server.id, { port_id: mine.id })).status, 200)
  })

  test('refused with Nova\'s 409s: RESCUED, SUSPENDED, a task under way, locked; the server and its ports are untouched', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { imageRef, name: 'hotplug-refused' })
    const [own] = await serverPorts(demo, server.id)
    const expectConflict = async (state: string) => {
      for (const [res, verb] of [[await attach(demo, server.id, { net_id: privateId }), 'attach_interface'], [await detach(demo, server.id, own.id), 'detach_interface']] as const) {
        assert.equal(res.status, 409, res.text)
        assert.equal(res.body.conflictingRequest.message, `Cannot '${verb}' instance ${server.id} while it is in ${state}`)
      }
      assert.deepEqual((await serverPorts(demo, server.id)).map((p) => p.id), [own.id])
    }
    assert.equal((await action(demo, server.id, { rescue: null })).status, 200)
    await waitForStatus(demo, server.id, 'RESCUE')
    await expectConflict('vm_state rescued')
    assert.equal((await action(demo, server.id, { unrescue: null })).status, 202)
    await waitForStatus(demo, server.id, 'ACTIVE')
    assert.equal((await action(demo, server.id, { suspend: null })).status, 202)
    await waitForStatus(demo, server.id, 'SUSPENDED')
    await expectConflict('vm_state suspended')
    assert.equal((await action(demo, server.id, { resume: null })).status, 202)
    await waitForStatus(demo, server.id, 'ACTIVE')
    const db = cloud().running.database.db
    await db.updateTable('instances').set({ task_state: 'rebooting' }).where('uuid', '=', server.id).execute()
    try {
      await expectConflict('task_state rebooting')
    } finally {
      await db.updateTable('instances').set({ task_state: null }).where('uuid', '=', server.id).execute()
    }
    assert.equal((await action(demo, server.id, { lock: null })).status, 202)
    const locked = await attach(demo, server.id, { net_id: privateId })
    assert.equal(locked.status, 409)
    assert.equal(locked.body.conflictingRequest.message, `Instance ${server.id} is locked`)
    assert.equal((await detach(demo, server.id, own.id)).status, 409)
    assert.deepEqual((await serverPorts(demo, server.id)).map((p) => p.id), [own.id])
    // Bad input is a 400 before the lock and state checks (as in Nova's API); an admin passes the lock.
    assert.equal((await attach(demo, server.id, { net_id: privateId, port_id: own.id })).status, 400)
    assert.equal((await attach(cloud().admin, server.id, { net_id: privateId })).status, 200)
  })
})

describeEachDialect('os-interface when the host fails to plug or unplug', (cloud) => {
  test('a failed attach is Nova\'s 500 and gives the port back; a failed detach keeps the port attached; both actions end in Error', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { imageRef: await createImage(cloud().admin), name: 'hotplug-fails' })
    const privateId = (await demo.request('GET', `${NET}/networks?name=private`)).body.networks[0].id
    const [own] = await serverPorts(demo, server.id)
    const failed = await attach(demo, server.id, { net_id: privateId })
    assert.equal(failed.status, 500)
    assert.equal(failed.body.computeFault.message, `Failed to attach network adapter device to ${server.id}`)
    assert.deepEqual((await serverPorts(demo, server.id)).map((p) => p.id), [own.id])
    const attachAction = await finishedAction(cloud(), server.id, 'attach_interface')
    assert.deepEqual(attachAction.events.map((e: any) => [e.event, e.result]), [['compute_attach_interface', 'Error']])
    assert.match(attachAction.events[0].traceback, /fake attachInterface failed on purpose/)
    const mine = await createPort(demo, privateId, { name: 'given-back' })
    assert.equal((await attach(demo, server.id, { port_id: mine.id })).status, 500)
    assert.deepEqual((await demo.request('GET', `${NET}/ports/${mine.id}`)).body.port.device_id, '', 'the user\'s port is unbound again, not deleted')

    assert.equal((await detach(demo, server.id, own.id)).status, 202)
    const detachAction = await finishedAction(cloud(), server.id, 'detach_interface')
    assert.deepEqual(detachAction.events.map((e: any) => [e.event, e.result]), [['compute_detach_interface', 'Error']])
    const kept = (await demo.request('GET', `${NET}/ports/${own.id}`)).body.port
    assert.deepEqual([kept.device_id, kept.status], [server.id, 'ACTIVE'])
    const shown = (await demo.request('GET', `${SERVERS}/${server.id}`)).body.server
    assert.deepEqual([shown.status, shown['OS-EXT-STS:task_state'], shown.addresses.private.length], ['ACTIVE', null, 1])
  })
}, { agent: { fakeFailOperations: ['attachInterface', 'detachInterface'] } })
