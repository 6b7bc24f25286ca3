import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { insertInstance } from '../compute/compute-host-fixtures.js'
import { NET, assertNeutronError, createNetwork, createPort, createSubnet } from './network-helpers.js'

describeEachDialect('network service: routers and floating IPs', (cloud) => {
  let publicNet: any
  let publicSubnet: any
  let privateNet: any
  let privateSubnet: any
  let routerId = ''
  let fip: any
  let serverPort: any

  test('routers: create with a gateway on an external network; Neutron refusals and policy', async () => {
    const admin = cloud().admin
    const demo = cloud().demo
    publicNet = await createNetwork(admin, { name: 'public-l3', 'router:external': true })
    publicSubnet = await createSubnet(admin, publicNet.id, { enable_dhcp: false })
    privateNet = await createNetwork(demo, { name: 'private-l3' })
    privateSubnet = await createSubnet(demo, privateNet.id)
    const created = await demo.request('POST', `${NET}/routers`, { body: { router: { name: 'r1', external_gateway_info: { network_id: publicNet.id } } } })
    assert.equal(created.status, 201, created.text)
    const router = created.body.router
    routerId = router.id
    assert.deepEqual({ status: router.status, admin: router.admin_state_up, routes: router.routes, project: router.project_id }, { status: 'ACTIVE', admin: true, routes: [], project: demo.projectId })
    assert.equal(router.external_gateway_info.network_id, publicNet.id)
    assert.equal(router.external_gateway_info.enable_snat, true)
    assert.equal(router.external_gateway_info.external_fixed_ips[0].subnet_id, publicSubnet.id)
    const bad = await demo.request('POST', `${NET}/routers`, { body: { router: { external_gateway_info: { network_id: privateNet.id } } } })
    assertNeutronError(bad, 400, 'BadRequest', `Bad router request: Network ${privateNet.id} is not an external network.`)
    const snat = await demo.request('PUT', `${NET}/routers/${routerId}`, { body: { router: { external_gateway_info: { network_id: publicNet.id, enable_snat: false } } } })
    assertNeutronError(snat, 403, 'PolicyNotAuthorized', '(rule:update_router:external_gateway_info:enable_snat) is disallowed by policy')
    assertNeutronError(await demo.request('POST', `${NET}/routers`, { body: { router: { routes: [] } } }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'routes'")
    assertNeutronError(await demo.request('GET', `${NET}/routers/00000000-0000-0000-0000-000000000000`), 404, 'RouterNotFound', 'Router 00000000-0000-0000-0000-000000000000 could not be found')
  })

  test('interfaces: by subnet at its gateway, once per subnet; a router or subnet in use is not deleted; extra routes', async () => {
    const demo = cloud().demo
    const added = await demo.request('PUT', `${NET}/routers/${routerId}/add_router_interface`, { body: { subnet_id: privateSubnet.id } })
    assert.equal(added.status, 200, added.text)
    assert.deepEqual({ ...added.body, port_id: 'p' }, { id: routerId, tenant_id: demo.projectId, project_id: demo.projectId, port_id: 'p', network_id: privateNet.id, subnet_id: privateSubnet.id, subnet_ids: [privateSubnet.id] })
    const port = (await demo.request('GET', `${NET}/ports/${added.body.port_id}`)).body.port
    assert.deepEqual({ owner: port.device_owner, device: port.device_id, ip: port.fixed_ips[0].ip_address }, { owner: 'network:router_interface', device: routerId, ip: privateSubnet.gateway_ip })
    assertNeutronError(await demo.request('PUT', `${NET}/routers/${routerId}/add_router_interface`, { body: { subnet_id: privateSubnet.id } }), 400, 'BadRequest', `Bad router request: Router already has a port on subnet ${privateSubnet.id}.`)
    assertNeutronError(await demo.request('PUT', `${NET}/routers/${routerId}/add_router_interface`, { body: {} }), 400, 'BadRequest', 'Bad router request: Either subnet_id or port_id must be specified.')
    assertNeutronError(await demo.request('DELETE', `${NET}/routers/${routerId}`), 409, 'RouterInUse', `Router ${routerId} has ports still attached: ${added.body.port_id}`)
    assertNeutronError(await demo.request('DELETE', `${NET}/subnets/${privateSubnet.id}`), 409, 'SubnetInUse')
    assertNeutronError(await demo.request('DELETE', `${NET}/ports/${added.body.port_id}`), 409, 'ServicePortInUse')
    const nexthop = privateSubnet.allocation_pools[0].end
    const routed = await demo.request('PUT', `${NET}/routers/${routerId}`, { body: { router: { routes: [{ destination: '192.168.77.0/24', nexthop }] } } })
    assert.deepEqual(routed.body.router.routes, [{ destination: '192.168.77.0/24', nexthop }])
    const far = await demo.request('PUT', `${NET}/routers/${routerId}`, { body: { router: { routes: [{ destination: '192.168.78.0/24', nexthop: '203.0.113.9' }] } } })
    assertNeutronError(far, 400, 'InvalidRoutes', "Invalid format for routes: [{'destination': '192.168.78.0/24', 'nexthop': '203.0.113.9'}], the nexthop is not connected with router")
    assert.deepEqual((await demo.request('PUT', `${NET}/routers/${routerId}`, { body: { router: { routes: [] } } })).body.router.routes, [])
  })

  test('floating IPs: allocate from the external network, associate through the router, port_details, status, filters, disassociate', async () => {
    const demo = cloud().demo
    const created = await demo.request('POST', `${NET}/floatingips`, { body: { floatingip: { floating_network_id: publicNet.id } } })
    assert.equal(created.status, 201, created.text)
    fip = created.body.floatingip
    assert.deepEqual({ status: fip.status, port: fip.port_id, router: fip.router_id, details: fip.port_details, project: fip.project_id }, { status: 'DOWN', port: null, router: null, details: null, project: demo.projectId })
    const wanted = publicSubnet.allocation_pools[0].end
    const specific = await demo.request('POST', `${NET}/floatingips`, { body: { floatingip: { floating_network_id: publicNet.id, floating_ip_address: wanted } } })
    assert.equal(specific.body.floatingip.floating_ip_address, wanted)
    assertNeutronError(await demo.request('POST', `${NET}/floatingips`, { body: { floatingip: { floating_network_id: publicNet.id, floating_ip_address: wanted } } }), 409, 'IpAddressAlreadyAllocated')
    assertNeutronError(await demo.request('POST', `${NET}/floatingips`, { body: { floatingip: { floating_network_id: privateNet.id } } }), 400, 'BadRequest', `Bad floatingip request: Network ${privateNet.id} is not a valid external network.`)

    const isolatedNet = await createNetwork(demo)
    await createSubnet(demo, isolatedNet.id)
    const isolatedPort = await createPort(demo, isolatedNet.id)
    const unreachable = await demo.request('PUT', `${NET}/floatingips/${fip.id}`, { body: { floatingip: { port_id: isolatedPort.id } } })
    assertNeutronError(unreachable, 404, 'ExternalGatewayForFloatingIPNotFound', new RegExp(`^External network ${publicNet.id} is not reachable from subnet .*\\.  Therefore, cannot associate Port ${isolatedPort.id} with a Floating IP\\.$`))
    assertNeutronError(await demo.request('PUT', `${NET}/floatingips/${fip.id}`, { body: { floatingip: { fixed_ip_address: '10.0.0.1' } } }), 400, 'BadRequest', 'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.')

    serverPort = await createPort(demo, privateNet.id)
    const associated = await demo.request('PUT', `${NET}/floatingips/${fip.id}`, { body: { floatingip: { port_id: serverPort.id } } })
    assert.equal(associated.status, 200, associated.text)
    const a = associated.body.floatingip
    assert.deepEqual({ port: a.port_id, fixed: a.fixed_ip_address, router: a.router_id, status: a.status }, { port: serverPort.id, fixed: serverPort.fixed_ips[0].ip_address, router: routerId, status: 'DOWN' })
    assert.deepEqual(a.port_details, { name: serverPort.name, network_id: privateNet.id, mac_address: serverPort.mac_address, admin_state_up: true, status: 'DOWN', device_id: '', device_owner: '' })
    const second = await demo.request('PUT', `${NET}/floatingips/${specific.body.floatingip.id}`, { body: { floatingip: { port_id: serverPort.id } } })
    assertNeutronError(second, 409, 'FloatingIPPortAlreadyAssociated')
    const byPort = await demo.request('GET', `${NET}/floatingips?port_id=${serverPort.id}`)
    assert.deepEqual(byPort.body.floatingips.map((f: any) => f.id), [fip.id])
    const byAddress = await demo.request('GET', `${NET}/floatingips?floating_ip_address=${wanted}&fields=id`)
    assert.deepEqual(byAddress.body.floatingips, [{ id: specific.body.floatingip.id }])
    assertNeutronError(await demo.request('PUT', `${NET}/routers/${routerId}/remove_router_interface`, { body: { subnet_id: privateSubnet.id } }), 409, 'RouterInterfaceInUseByFloatingIP')
    assertNeutronError(await demo.request('PUT', `${NET}/routers/${routerId}`, { body: { router: { external_gateway_info: null } } }), 409, 'RouterExternalGatewayInUseByFloatingIp')
    assert.equal((await demo.request('DELETE', `${NET}/floatingips/${specific.body.floatingip.id}`)).status, 204)
  })

  test("forwards: a running server's port gets its floating IP's forwards from its groups' rules; changes queue network_changed", async () => {
    const demo = cloud().demo
    const services = cloud().running.services
    const db = cloud().running.database.db
    const uuid = await insertInstance(cloud(), demo.projectId, demo.userId, 'forwards-host', { vcpus: 1, ram: 64, disk: 1 })
    await db.updateTable('ports').set({ device_id: uuid, device_owner: 'compute:nova' }).where('id', '=', serverPort.id).execute()
    const groupId = serverPort.security_groups[0]
    assert.deepEqual((await services.l3.forwardsOf([serverPort.id])).get(serverPort.id), [], 'the default group lets nothing in from outside')
    const queued = async () => Number((await db.selectFrom('tasks').select((eb) => eb.fn.countAll().as('n')).where('instance_uuid', '=', uuid).where('kind', '=', 'network_changed').executeTakeFirstOrThrow()).n)
    const rule = await demo.request('POST', `${NET}/security-group-rules`, { body: { security_group_rule: { security_group_id: groupId, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 } } })
    assert.equal(rule.status, 201)
    assert.equal(await queued(), 1)
    await demo.request('POST', `${NET}/security-group-rules`, { body: { security_group_rule: { security_group_id: groupId, direction: 'ingress', protocol: 'tcp', port_range_min: 8000, port_range_max: 8001 } } })
    assert.deepEqual((await services.l3.forwardsOf([serverPort.id])).get(serverPort.id), [
      { protocol: 'tcp', hostAddress: fip.floating_ip_address, hostPort: 10022, guestPort: 22 },
      { protocol: 'tcp', hostAddress: fip.floating_ip_address, hostPort: 8000, guestPort: 8000 },
      { protocol: 'tcp', hostAddress: fip.floating_ip_address, hostPort: 8001, guestPort: 8001 },
    ])
    const nics = await services.network.servers.nics(uuid)
    assert.equal(nics[0]!.forwards.length, 3)
    assert.equal(await queued(), 2)
    assert.equal((await demo.request('PUT', `${NET}/ports/${serverPort.id}`, { body: { port: { security_groups: [groupId] } } })).status, 200)
    assert.equal(await queued(), 3, 'a port\'s groups changed')
    const off = await demo.request('PUT', `${NET}/floatingips/${fip.id}`, { body: { floatingip: { port_id: null } } })
    assert.deepEqual({ port: off.body.floatingip.port_id, fixed: off.body.floatingip.fixed_ip_address, router: off.body.floatingip.router_id }, { port: null, fixed: null, router: null })
    assert.equal(await queued(), 4)
    assert.deepEqual((await services.l3.forwardsOf([serverPort.id])).get(serverPort.id) ?? [], [])
    await db.updateTable('ports').set({ device_id: '', device_owner: '' }).where('id', '=', serverPort.id).execute()
  })

  test("isolation: another project's routers and floating IPs are 404; quotas router and floatingip", async () => {
    const admin = cloud().admin
    const demo = cloud().demo
    const adminRouter = (await admin.request('POST', `${NET}/routers`, { body: { router: { name: 'admin-r' } } })).body.router
    const adminFip = (await admin.request('POST', `${NET}/floatingips`, { body: { floatingip: { floating_network_id: publicNet.id } } })).body.floatingip
    assertNeutronError(await demo.request('GET', `${NET}/routers/${adminRouter.id}`), 404, 'RouterNotFound')
    assertNeutronError(await demo.request('PUT', `${NET}/routers/${adminRouter.id}/add_router_interface`, { body: { subnet_id: privateSubnet.id } }), 404, 'RouterNotFound')
    assertNeutronError(await demo.request('GET', `${NET}/floatingips/${adminFip.id}`), 404, 'FloatingIPNotFound', `Floating IP ${adminFip.id} could not be found`)
    assertNeutronError(await demo.request('DELETE', `${NET}/floatingips/${adminFip.id}`), 404, 'FloatingIPNotFound')
    assert.ok(!(await demo.request('GET', `${NET}/floatingips`)).body.floatingips.some((f: any) => f.id === adminFip.id))
    assert.equal((await admin.request('DELETE', `${NET}/floatingips/${adminFip.id}`)).status, 204)
    assert.equal((await admin.request('DELETE', `${NET}/routers/${adminRouter.id}`)).status, 204)

    const details = (await demo.request('GET', `${NET}/quotas/${demo.projectId}/details`)).body.quota
    await admin.request('PUT', `${NET}/quotas/${demo.projectId}`, { body: { quota: { router: details.router.used, floatingip: details.floatingip.used } } })
    try {
      assertNeutronError(await demo.request('POST', `${NET}/routers`, { body: { router: { name: 'too-many' } } }), 409, 'OverQuota', "Quota exceeded for resources: ['router'].")
      assertNeutronError(await demo.request('POST', `${NET}/floatingips`, { body: { floatingip: { floating_network_id: publicNet.id } } }), 409, 'OverQuota', "Quota exceeded for resources: ['floatingip'].")
    } finally {
      await admin.request('DELETE', `${NET}/quotas/${demo.projectId}`)
    }
  })

  test('teardown as Tempest does it: remove the interface, delete the floating IP and the router', async () => {
    const demo = cloud().demo
    assertNeutronError(await demo.request('PUT', `${NET}/routers/${routerId}/remove_router_interface`, { body: { port_id: serverPort.id } }), 404, 'RouterInterfaceNotFound', `Router ${routerId} does not have an interface with id ${serverPort.id}`)
    const removed = await demo.request('PUT', `${NET}/routers/${routerId}/remove_router_interface`, { body: { subnet_id: privateSubnet.id } })
    assert.equal(removed.status, 200, removed.text)
    assertNeutronError(await demo.request('PUT', `${NET}/routers/${routerId}/remove_router_interface`, { body: { subnet_id: privateSubnet.id } }), 404, 'RouterInterfaceNotFoundForSubnet')
    assert.equal((await demo.request('DELETE', `${NET}/floatingips/${fip.id}`)).status, 204)
    assert.equal((await demo.request('DELETE', `${NET}/routers/${routerId}`)).status, 204)
    assertNeutronError(await demo.request('GET', `${NET}/routers/${routerId}`), 404, 'RouterNotFound')
    const gwPorts = await cloud().admin.request('GET', `${NET}/ports?device_id=${routerId}`)
    assert.deepEqual(gwPorts.body.ports, [])
  })
})

describeEachDialect('network service: tags on routers, floating IPs and security groups', (cloud) => {
  test('tags at create and through the tag routes; another project\'s resource is 404', async () => {
    const demo = cloud().demo
    const router = await demo.request('POST', `${NET}/routers`, { body: { router: { name: 'tagged', tags: ['blue'] } } })
    assert.deepEqual(router.body.router.tags, ['blue'])
    const group = (await demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'tagged-sg' } } })).body.security_group
    assert.equal((await demo.request('PUT', `${NET}/security-groups/${group.id}/tags/red`)).status, 201)
    assert.deepEqual((await demo.request('GET', `${NET}/security-groups/${group.id}`)).body.security_group.tags, ['red'])
    assert.deepEqual((await demo.request('GET', `${NET}/routers?tags=blue`)).body.routers.map((r: any) => r.id), [router.body.router.id])
    assertNeutronError(await cloud().admin.request('GET', `${NET}/routers/00000000-0000-0000-0000-000000000001/tags`), 404, 'RouterNotFound')
    const adminGroup = (await cloud().admin.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'admin-tagged' } } })).body.security_group
    assertNeutronError(await demo.request('PUT', `${NET}/security-groups/${adminGroup.id}/tags/x`), 404, 'SecurityGroupNotFound')
  })
})
