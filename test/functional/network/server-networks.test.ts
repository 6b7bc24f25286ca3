import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { before, test } from 'node:test'
import { describeEachDialect, type TestCloud } from '../../helpers/cloud.js'
import { action, bootServer, createImage, waitForDeleted, waitForStatus } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'
import { NET, createNetwork, createPort, createSubnet } from './network-helpers.js'

const SERVERS = '/compute/v2.1/servers'

/** The NICs of the spec the fake driver last ran the server with. */
function recordedNics(cloud: TestCloud, id: string): any[] {
  const file = path.join(cloud.running.config.dataDir, 'agent', 'fake-domains', `${id}.json`)
  return JSON.parse(fs.readFileSync(file, 'utf8')).spec.nics
}

describeEachDialect('Nova with the network service: boot networks, ports, addresses, interfaces, proxies', (cloud) => {
  let imageRef = ''
  let privateId = ''
  let publicId = ''
  before(async () => {
    imageRef = await createImage(cloud().admin)
    const networks = (await cloud().admin.request('GET', `${NET}/networks`)).body.networks
    privateId = networks.find((n: any) => n.name === 'private').id
    publicId = networks.find((n: any) => n.name === 'public').id
  })

  test('first start: public (external, loopback floating range) and private 10.0.0.0/24 with its DHCP port', async () => {
    const admin = cloud().admin
    const pub = (await admin.request('GET', `${NET}/networks/${publicId}`)).body.network
    assert.deepEqual([pub['router:external'], pub.shared, pub.tenant_id], [true, false, admin.projectId])
    const subnets = (await admin.request('GET', `${NET}/subnets?fields=name&fields=cidr&fields=gateway_ip&fields=allocation_pools&fields=enable_dhcp&sort_key=name`)).body.subnets
    assert.deepEqual(subnets, [
      { name: 'private-subnet', cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.254' }], enable_dhcp: true },
      { name: 'public-subnet', cidr: '127.42.0.0/24', gateway_ip: '127.42.0.1', allocation_pools: [{ start: '127.42.0.2', end: '127.42.0.254' }], enable_dhcp: false },
    ])
    const demoNets = (await cloud().demo.request('GET', `${NET}/networks?fields=name&sort_key=name`)).body.networks
    assert.deepEqual(demoNets, [{ name: 'private' }, { name: 'public' }], 'demo sees its private network and the external one')
  })

  test('a boot without networks takes the one visible network: port bound, ACTIVE, addresses, ips, NIC in the spec; delete removes the port', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { imageRef, name: 'auto-net' })
    const ports = (await cloud().admin.request('GET', `${NET}/ports?device_id=${server.id}`)).body.ports
    assert.equal(ports.length, 1)
    const port = ports[0]
    assert.deepEqual(
      [port.network_id, port.device_owner, port['binding:host_id'] !== '', port['binding:vif_type'], port.status, port.tenant_id],
      [privateId, 'compute:nova', true, 'tap', 'ACTIVE', demo.projectId],
    )
    const ip = port.fixed_ips[0].ip_address
    assert.match(ip, /^10\.0\.0\.\d+$/)
    assert.notEqual(ip, '10.0.0.2', 'the DHCP port holds .2')
    assert.deepEqual(server.addresses, { private: [{ version: 4, addr: ip, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': port.mac_address }] })
    assert.deepEqual((await demo.request('GET', `${SERVERS}/${server.id}/ips`)).body, { addresses: { private: [{ version: 4, addr: ip }] } })
    assert.deepEqual((await demo.request('GET', `${SERVERS}/${server.id}/ips/private`)).body, { private: [{ version: 4, addr: ip }] })
    assert.equal((await demo.request('GET', `${SERVERS}/${server.id}/ips/public`)).status, 404)
    assert.deepEqual(recordedNics(cloud(), server.id), [{
      portId: port.id, networkId: privateId, mac: port.mac_address, ip, cidr: '10.0.0.0/24', gateway: '10.0.0.1', dnsAddress: '10.0.0.2', mtu: 1500, forwards: [],
    }])
    const detail = (await demo.request('GET', `${SERVERS}/detail`)).body.servers.find((s: any) => s.id === server.id)
    assert.equal(detail.addresses.private[0].addr, ip)

    assert.equal((await action(demo, server.id, { 'os-stop': null })).status, 202)
    await waitForStatus(demo, server.id, 'SHUTOFF')
    assert.equal((await demo.request('GET', `${NET}/ports/${port.id}`)).body.port.status, 'DOWN')
    assert.equal((await action(demo, server.id, { 'os-start': null })).status, 202)
    await waitForStatus(demo, server.id, 'ACTIVE')
    assert.equal((await demo.request('GET', `${NET}/ports/${port.id}`)).body.port.status, 'ACTIVE')

    assert.equal((await demo.request('DELETE', `${SERVERS}/${server.id}`)).status, 204)
    await waitForDeleted(demo, server.id)
    // In the deleting transaction, as Nova deallocates before destroying: a deleted server leaves no port behind.
    assert.equal((await demo.request('GET', `${NET}/ports/${port.id}`)).status, 404, 'the port Nova made goes with the server')
  })

  test('"none" (2.37) gives no NIC; "auto"/"none" before 2.37 are a 400; 2.37 needs networks', async () => {
    const demo = cloud().demo
    const none = await bootServer(demo, { imageRef, name: 'no-net', networks: 'none' }, '2.37')
    assert.deepEqual(none.addresses, {})
    assert.deepEqual(recordedNics(cloud(), none.id), [])
    const early = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'x', networks: 'none' } }, microversion: '2.36' })
    assert.equal(early.status, 400)
    const missing = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'x' } }, microversion: '2.37' })
    assert.equal(missing.status, 400)
    await demo.request('DELETE', `${SERVERS}/${none.id}`)
  })

  test('networks by uuid with a fixed IP; Nova\'s 400s for an unknown or foreign network, an address in use, external networks', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { imageRef, name: 'fixed', networks: [{ uuid: privateId, fixed_ip: '10.0.0.50' }] })
    assert.equal(server.addresses.private[0].addr, '10.0.0.50')
    const boot = (networks: unknown, microversion = '2.1') => demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'bad', networks } }, microversion })
    const inUse = await boot([{ uuid: privateId, fixed_ip: '10.0.0.50' }])
    assert.equal(inUse.status, 400)
    assert.equal(inUse.body.badRequest.message, `Fixed IP address 10.0.0.50 is already in use on instance ${server.id}.`)
    const unknown = '11111111-2222-3333-4444-555555555555'
    assert.equal((await boot([{ uuid: unknown }])).body.badRequest.message, `Network ${unknown} could not be found.`)
    const adminNet = await createNetwork(cloud().admin, { name: 'admin-hidden' })
    assert.equal((await boot([{ uuid: adminNet.id }])).body.badRequest.message, `Network ${adminNet.id} could not be found.`, 'another project\'s network is not found')
    assert.equal((await boot([{ uuid: publicId }])).body.badRequest.message, `It is not allowed to create an interface on external network ${publicId}`)
    assert.equal((await boot([{ uuid: 'not-a-uuid' }])).status, 400)
    const multi = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'many', networks: [{ uuid: privateId, fixed_ip: '10.0.0.60' }], max_count: 2 } } })
    assert.equal(multi.status, 400)
    await cloud().admin.request('DELETE', `${NET}/networks/${adminNet.id}`)
    await demo.request('DELETE', `${SERVERS}/${server.id}`)
    await waitForDeleted(demo, server.id)
  })

  test('a user\'s port: bound at boot, 409 when in use, unbound (not deleted) at delete', async () => {
    const demo = cloud().demo
    const port = await createPort(demo, privateId, { name: 'mine' })
    const server = await bootServer(demo, { imageRef, name: 'on-port', networks: [{ port: port.id }] })
    const bound = (await cloud().admin.request('GET', `${NET}/ports/${port.id}`)).body.port
    assert.deepEqual([bound.device_id, bound.device_owner, bound.status, bound['binding:vif_type']], [server.id, 'compute:nova', 'ACTIVE', 'tap'])
    assert.equal(server.addresses.private[0].addr, port.fixed_ips[0].ip_address)
    const again = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'x', networks: [{ port: port.id }] } } })
    assert.equal(again.status, 409)
    assert.equal(again.body.conflictingRequest.message, `Port ${port.id} is still in use.`)
    const ghost = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'x', networks: [{ port: '11111111-2222-3333-4444-555555555555' }] } } })
    assert.equal(ghost.body.badRequest.message, 'Port 11111111-2222-3333-4444-555555555555 could not be found.')
    await demo.request('DELETE', `${SERVERS}/${server.id}`)
    await waitForDeleted(demo, server.id)
    const after = (await cloud().admin.request('GET', `${NET}/ports/${port.id}`)).body.port
    assert.deepEqual([after.device_id, after.device_owner, after['binding:host_id'], after.status], ['', '', '', 'DOWN'])
    await demo.request('DELETE', `${NET}/ports/${port.id}`)
  })

  test('rescue and unrescue keep the ports: the rescue spec has the same NIC', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { imageRef, name: 'rescued' })
    const before = recordedNics(cloud(), server.id)
    assert.equal(before.length, 1)
    assert.equal((await action(demo, server.id, { rescue: {} })).status, 200)
    await waitForStatus(demo, server.id, 'RESCUE')
    assert.deepEqual(recordedNics(cloud(), server.id), before)
    const rescued = (await demo.request('GET', `${SERVERS}/${server.id}`)).body.server
    assert.equal(rescued.addresses.private[0].addr, before[0].ip)
    assert.equal((await demo.request('GET', `${NET}/ports/${before[0].portId}`)).body.port.status, 'ACTIVE')
    assert.equal((await action(demo, server.id, { unrescue: null })).status, 202)
    await waitForStatus(demo, server.id, 'ACTIVE')
    assert.deepEqual(recordedNics(cloud(), server.id), before)
    await demo.request('DELETE', `${SERVERS}/${server.id}`)
    await waitForDeleted(demo, server.id)
  })

  test('os-interface: list and show; attach and detach on a running server (live) and on a stopped one', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { imageRef, name: 'ifaces' })
    const list = (await demo.request('GET', `${SERVERS}/${server.id}/os-interface`)).body.interfaceAttachments
    assert.equal(list.length, 1)
    assert.deepEqual(Object.keys(list[0]).sort(), ['fixed_ips', 'mac_addr', 'net_id', 'port_id', 'port_state'])
    assert.equal(list[0].net_id, privateId)
    assert.equal((await demo.request('GET', `${SERVERS}/${server.id}/os-interface/${list[0].port_id}`)).body.interfaceAttachment.port_id, list[0].port_id)
    assert.equal((await demo.request('GET', `${SERVERS}/${server.id}/os-interface/11111111-2222-3333-4444-555555555555`)).status, 404)
    // Issue 13's leftover: a running server takes the NIC live now (was 400); test/functional/compute/interface-hotplug.test.ts has the details.
    const running = await demo.request('POST', `${SERVERS}/${server.id}/os-interface`, { body: { interfaceAttachment: { net_id: privateId } } })
    assert.equal(running.status, 200, running.text)
    const livePort = running.body.interfaceAttachment.port_id
    assert.equal((await demo.request('DELETE', `${SERVERS}/${server.id}/os-interface/${livePort}`)).status, 202)
    await waitUntil(async () => (await demo.request('GET', `${NET}/ports/${livePort}`)).status === 404, { timeoutMs: 10_000, intervalMs: 50, what: 'the live-detached port was not deleted' })
    await action(demo, server.id, { 'os-stop': null })
    await waitForStatus(demo, server.id, 'SHUTOFF')
    const attached = await demo.request('POST', `${SERVERS}/${server.id}/os-interface`, { body: { interfaceAttachment: { net_id: privateId, fixed_ips: [{ ip_address: '10.0.0.77' }] } } })
    assert.equal(attached.status, 200, attached.text)
    assert.deepEqual(attached.body.interfaceAttachment.fixed_ips.map((f: any) => f.ip_address), ['10.0.0.77'])
    assert.equal((await demo.request('GET', `${SERVERS}/${server.id}`)).body.server.addresses.private.length, 2)
    const newPort = attached.body.interfaceAttachment.port_id
    assert.equal((await demo.request('DELETE', `${SERVERS}/${server.id}/os-interface/${newPort}`)).status, 202)
    assert.equal((await demo.request('GET', `${NET}/ports/${newPort}`)).status, 404)
    await demo.request('DELETE', `${SERVERS}/${server.id}`)
    await waitForDeleted(demo, server.id)
  })

  test('os-tenant-networks and os-networks up to 2.35 (cidr "None", nova-network keys null), 404 above', async () => {
    const demo = cloud().demo
    const tenant = await demo.request('GET', '/compute/v2.1/os-tenant-networks')
    assert.deepEqual(tenant.body.networks.find((n: any) => n.label === 'private'), { id: privateId, cidr: 'None', label: 'private' })
    assert.deepEqual((await demo.request('GET', `/compute/v2.1/os-tenant-networks/${privateId}`)).body.network, { id: privateId, cidr: 'None', label: 'private' })
    const missing = await demo.request('GET', '/compute/v2.1/os-tenant-networks/11111111-2222-3333-4444-555555555555')
    assert.equal(missing.status, 404)
    assert.equal(missing.body.itemNotFound.message, 'Network not found')
    const nets = await demo.request('GET', '/compute/v2.1/os-networks')
    const priv = nets.body.networks.find((n: any) => n.label === 'private')
    assert.deepEqual(priv, { id: privateId, label: 'private', cidr: null, netmask: null, gateway: null, broadcast: null, dns1: null, dns2: null, cidr_v6: null, gateway_v6: null, netmask_v6: null })
    assert.equal((await demo.request('GET', '/compute/v2.1/os-tenant-networks', { microversion: '2.36' })).status, 404)
    assert.equal((await demo.request('GET', '/compute/v2.1/os-networks', { microversion: '2.36' })).status, 404)
  })

  test('several visible networks and no networks requested: 409 NetworkAmbiguous', async () => {
    const demo = cloud().demo
    const second = await createNetwork(demo, { name: 'second' })
    await createSubnet(demo, second.id)
    const res = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'which' } } })
    assert.equal(res.status, 409)
    assert.equal(res.body.conflictingRequest.message, 'Multiple possible networks found, use a Network ID to be more specific.')
    const explicit = await bootServer(demo, { imageRef, name: 'picked', networks: [{ uuid: second.id }] })
    assert.deepEqual(Object.keys(explicit.addresses), ['second'])
    await demo.request('DELETE', `${SERVERS}/${explicit.id}`)
    await waitForDeleted(demo, explicit.id)
    assert.equal((await demo.request('DELETE', `${NET}/networks/${second.id}`)).status, 204)
  })
})
