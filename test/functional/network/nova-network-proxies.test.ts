import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, waitForDeleted } from '../../helpers/compute.js'
import { NET } from './network-helpers.js'

const C = '/compute/v2.1'

describeEachDialect("Nova's floating-IP and security-group proxies over the network service", (cloud) => {
  let imageRef = ''
  let server: any
  let fip: any
  before(async () => {
    imageRef = await createImage(cloud().admin)
    server = await bootServer(cloud().demo, { imageRef, name: 'proxied' })
  })

  test('first start: router1 connects private to public (gateway, interface at 10.0.0.1)', async () => {
    const routers = (await cloud().demo.request('GET', `${NET}/routers?name=router1`)).body.routers
    assert.equal(routers.length, 1)
    const publicNet = (await cloud().demo.request('GET', `${NET}/networks?name=public`)).body.networks[0]
    assert.equal(routers[0].external_gateway_info.network_id, publicNet.id)
    const ifaces = (await cloud().demo.request('GET', `${NET}/ports?device_id=${routers[0].id}&device_owner=network:router_interface`)).body.ports
    assert.equal(ifaces[0].fixed_ips[0].ip_address, '10.0.0.1')
  })

  test('os-floating-ip-pools and os-floating-ips: allocate from public, show, unknown pool', async () => {
    const demo = cloud().demo
    assert.deepEqual((await demo.request('GET', `${C}/os-floating-ip-pools`)).body, { floating_ip_pools: [{ name: 'public' }] })
    const created = await demo.request('POST', `${C}/os-floating-ips`, { body: { pool: 'public' } })
    assert.equal(created.status, 200, created.text)
    fip = created.body.floating_ip
    assert.deepEqual({ ...fip, id: 'x', ip: 'y' }, { id: 'x', ip: 'y', pool: 'public', fixed_ip: null, instance_id: null })
    assert.match(fip.ip, /^127\.42\.0\.\d+$/)
    assert.deepEqual((await demo.request('GET', `${C}/os-floating-ips/${fip.id}`)).body.floating_ip, fip)
    const unknown = await demo.request('POST', `${C}/os-floating-ips`, { body: { pool: 'nope' } })
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body.itemNotFound.message, 'Floating IP pool not found.')
    assert.equal((await demo.request('GET', `${C}/os-floating-ips`, { microversion: '2.36' })).status, 404)
    const foreign = (await cloud().admin.request('POST', `${C}/os-floating-ips`, { body: {} })).body.floating_ip
    assert.equal(foreign.pool, 'public', 'the default pool is public')
    assert.equal((await demo.request('GET', `${C}/os-floating-ips/${foreign.id}`)).body.itemNotFound.message, `Floating IP not found for ID ${foreign.id}`)
    assert.equal((await cloud().admin.request('DELETE', `${C}/os-floating-ips/${foreign.id}`)).status, 202)
  })

  test('addFloatingIp: addresses show it after the fixed one; Neutron shows it ACTIVE on the port; forwards follow the rules', async () => {
    const demo = cloud().demo
    const fixedIp = server.addresses.private[0].addr
    assert.equal((await action(demo, server.id, { addFloatingIp: { address: fip.ip, fixed_address: '10.9.9.9' } })).body.badRequest.message, 'Specified fixed address not assigned to instance')
    assert.equal((await action(demo, server.id, { addFloatingIp: { address: '127.42.0.250' } })).body.itemNotFound.message, 'floating IP not found')
    assert.equal((await action(demo, server.id, { addFloatingIp: { address: fip.ip } })).status, 202)
    const shown = (await demo.request('GET', `${C}/servers/${server.id}`)).body.server
    const mac = shown.addresses.private[0]['OS-EXT-IPS-MAC:mac_addr']
    assert.deepEqual(shown.addresses.private, [
      { version: 4, addr: fixedIp, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': mac },
      { version: 4, addr: fip.ip, 'OS-EXT-IPS:type': 'floating', 'OS-EXT-IPS-MAC:mac_addr': mac },
    ])
    const listed = (await demo.request('GET', `${C}/os-floating-ips`)).body.floating_ips.find((f: any) => f.id === fip.id)
    assert.deepEqual([listed.fixed_ip, listed.instance_id], [fixedIp, server.id])
    const neutron = (await demo.request('GET', `${NET}/floatingips/${fip.id}`)).body.floatingip
    assert.deepEqual([neutron.status, neutron.port_details.device_id, neutron.fixed_ip_address], ['ACTIVE', server.id, fixedIp])

    const services = cloud().running.services
    assert.deepEqual((await services.network.servers.nics(server.id))[0]!.forwards, [], 'the default group lets nothing in from outside')
    const defaultId = (await demo.request('GET', `${C}/os-security-groups`)).body.security_groups.find((g: any) => g.name === 'default').id
    const rule = await demo.request('POST', `${C}/os-security-group-rules`, { body: { security_group_rule: { parent_group_id: defaultId, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '0.0.0.0/0' } } })
    assert.equal(rule.status, 200, rule.text)
    assert.deepEqual((await services.network.servers.nics(server.id))[0]!.forwards, [{ protocol: 'tcp', hostAddress: fip.ip, hostPort: 10022, guestPort: 22 }])
    await demo.request('DELETE', `${C}/os-security-group-rules/${rule.body.security_group_rule.id}`)
  })

  test('removeFloatingIp: 202, then 409 when not associated; 404 from 2.44; a server without a NIC is not ready', async () => {
    const demo = cloud().demo
    assert.equal((await action(demo, server.id, { removeFloatingIp: { address: fip.ip } }, '2.44')).status, 404)
    assert.equal((await action(demo, server.id, { removeFloatingIp: { address: fip.ip } })).status, 202)
    const again = await action(demo, server.id, { removeFloatingIp: { address: fip.ip } })
    assert.equal(again.status, 409)
    assert.equal(again.body.conflictingRequest.message, `Floating IP ${fip.ip} is not associated with instance ${server.id}.`)
    assert.equal((await demo.request('GET', `${C}/servers/${server.id}`)).body.server.addresses.private.length, 1)
    const bare = await bootServer(demo, { imageRef, name: 'bare', networks: 'none' }, '2.37')
    assert.equal((await action(demo, bare.id, { addFloatingIp: { address: fip.ip } })).body.badRequest.message, 'Instance network is not ready yet')
    await demo.request('DELETE', `${C}/servers/${bare.id}`)
  })

  test("addSecurityGroup/removeSecurityGroup act on the server's ports; the server view lists its ports' groups", async () => {
    const demo = cloud().demo
    const web = (await demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'web-proxied' } } })).body.security_group
    assert.equal((await action(demo, server.id, { addSecurityGroup: { name: 'web-proxied' } })).status, 202)
    const port = (await demo.request('GET', `${NET}/ports?device_id=${server.id}`)).body.ports[0]
    assert.ok(port.security_groups.includes(web.id))
    const names = (await demo.request('GET', `${C}/servers/${server.id}`)).body.server.security_groups.map((g: any) => g.name)
    assert.deepEqual(names, ['default', 'web-proxied'])
    const inUse = await demo.request('DELETE', `${NET}/security-groups/${web.id}`)
    assert.equal(inUse.body.NeutronError.type, 'SecurityGroupInUse')
    assert.equal((await action(demo, server.id, { removeSecurityGroup: { name: 'web-proxied' } })).status, 202)
    assert.deepEqual((await demo.request('GET', `${NET}/ports/${port.id}`)).body.port.security_groups.includes(web.id), false)
    assert.equal((await action(demo, server.id, { removeSecurityGroup: { name: 'web-proxied' } })).status, 404)
    assert.equal((await demo.request('DELETE', `${NET}/security-groups/${web.id}`)).status, 204)
  })

  test('delete: the floating IP is released (202), then 404; the server goes, its floating IPs stay allocated', async () => {
    const demo = cloud().demo
    assert.equal((await action(demo, server.id, { addFloatingIp: { address: fip.ip } })).status, 202)
    assert.equal((await demo.request('DELETE', `${C}/servers/${server.id}`)).status, 204)
    await waitForDeleted(demo, server.id)
    const kept = (await demo.request('GET', `${C}/os-floating-ips/${fip.id}`)).body.floating_ip
    assert.deepEqual([kept.fixed_ip, kept.instance_id], [null, null])
    assert.equal((await demo.request('DELETE', `${C}/os-floating-ips/${fip.id}`)).status, 202)
    assert.equal((await demo.request('DELETE', `${C}/os-floating-ips/${fip.id}`)).body.itemNotFound.message, `Floating IP not found for ID ${fip.id}`)
  })
})
