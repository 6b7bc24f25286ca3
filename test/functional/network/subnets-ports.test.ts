import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { NET, assertNeutronError, createNetwork, createPort, createSubnet } from './network-helpers.js'

describeEachDialect('network service: subnets (IPAM) and ports', (cloud) => {
  test('a subnet defaults its gateway to the first host and its pool to the rest; a DHCP port takes the first pool address', async () => {
    const demo = cloud().demo
    const network = await createNetwork(demo)
    const subnet = await createSubnet(demo, network.id, { cidr: '10.150.1.0/24', name: 'defaults' })
    assert.deepEqual(
      { gw: subnet.gateway_ip, pools: subnet.allocation_pools, dhcp: subnet.enable_dhcp, dns: subnet.dns_nameservers, routes: subnet.host_routes, v: subnet.ip_version },
      { gw: '10.150.1.1', pools: [{ start: '10.150.1.2', end: '10.150.1.254' }], dhcp: true, dns: [], routes: [], v: 4 },
    )
    assert.deepEqual((await demo.request('GET', `${NET}/networks/${network.id}`)).body.network.subnets, [subnet.id])
    const dhcp = (await cloud().admin.request('GET', `${NET}/ports?network_id=${network.id}&device_owner=network:dhcp`)).body.ports
    assert.equal(dhcp.length, 1)
    assert.deepEqual(dhcp[0].fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.150.1.2' }])
    assert.equal(dhcp[0].status, 'ACTIVE')
    const port = await createPort(demo, network.id)
    assert.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.150.1.3' }])
    assert.match(port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/)
    assert.deepEqual({ status: port.status, owner: port.device_owner, device: port.device_id, vnic: port['binding:vnic_type'], pairs: port.allowed_address_pairs },
      { status: 'DOWN', owner: '', device: '', vnic: 'normal', pairs: [] })
    assert.equal('binding:host_id' in port, false, 'binding details are for admins')
    // A subnet in use cannot go; the network neither while a non-DHCP port is on it.
    assertNeutronError(await demo.request('DELETE', `${NET}/subnets/${subnet.id}`), 409, 'SubnetInUse',
      `Unable to complete operation on subnet ${subnet.id}: One or more ports have an IP allocation from this subnet.`)
    assertNeutronError(await demo.request('DELETE', `${NET}/networks/${network.id}`), 409, 'NetworkInUse',
      `Unable to complete operation on network ${network.id}. There are one or more ports still in use on the network.`)
    assert.equal((await demo.request('DELETE', `${NET}/ports/${port.id}`)).status, 204)
    assert.equal((await demo.request('DELETE', `${NET}/subnets/${subnet.id}`)).status, 204)
    assert.equal((await cloud().admin.request('GET', `${NET}/ports?network_id=${network.id}`)).body.ports.length, 0, 'the DHCP port went with its last subnet')
    assert.equal((await demo.request('DELETE', `${NET}/networks/${network.id}`)).status, 204)
  })

  test('subnet validation: CIDR, pools, gateway, overlap, DNS, IPv6 — Neutron\'s texts, nothing created', async () => {
    const demo = cloud().demo
    const network = await createNetwork(demo)
    const post = (subnet: Record<string, unknown>) => demo.request('POST', `${NET}/subnets`, { body: { subnet: { network_id: network.id, ip_version: 4, ...subnet } } })
    assertNeutronError(await post({ cidr: '10.160.0.300/24' }), 400, 'HTTPBadRequest', "Invalid input for cidr. Reason: '10.160.0.300/24' is not a valid IP subnet.")
    assertNeutronError(await post({ cidr: '10.160.0.0/24', allocation_pools: [{ start: '10.160.0.10', end: '10.160.1.5' }] }), 400, 'OutOfBoundsAllocationPool',
      'The allocation pool 10.160.0.10-10.160.1.5 spans beyond the subnet cidr 10.160.0.0/24.')
    assertNeutronError(await post({ cidr: '10.160.0.0/24', allocation_pools: [{ start: '10.160.0.20', end: '10.160.0.10' }] }), 400, 'InvalidAllocationPool',
      'The allocation pool 10.160.0.20-10.160.0.10 is not valid.')
    assertNeutronError(await post({ cidr: '10.160.0.0/24', allocation_pools: [{ start: '10.160.0.10', end: '10.160.0.20' }, { start: '10.160.0.15', end: '10.160.0.30' }] }),
      400, 'OverlappingAllocationPools', 'Found overlapping allocation pools: 10.160.0.10-10.160.0.20 10.160.0.15-10.160.0.30 for subnet 10.160.0.0/24.')
    assertNeutronError(await post({ cidr: '10.160.0.0/24', gateway_ip: '10.160.0.15', allocation_pools: [{ start: '10.160.0.10', end: '10.160.0.20' }] }),
      409, 'GatewayConflictWithAllocationPools', 'Gateway ip 10.160.0.15 conflicts with allocation pool 10.160.0.10-10.160.0.20')
    assertNeutronError(await post({ cidr: '10.160.0.0/24', dns_nameservers: ['not-an-ip'] }), 400, 'HTTPBadRequest')
    assertNeutronError(await post({ cidr: '2001:db8::/64', ip_version: 6 }), 400, 'HTTPBadRequest')
    assert.deepEqual((await demo.request('GET', `${NET}/subnets?network_id=${network.id}`)).body.subnets, [])

    const explicit = await createSubnet(demo, network.id, {
      cidr: '10.160.0.0/24', gateway_ip: '10.160.0.254', allocation_pools: [{ start: '10.160.0.100', end: '10.160.0.110' }],
      dns_nameservers: ['8.8.8.8'], host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.160.0.5' }], enable_dhcp: false,
    })
    assert.equal(explicit.gateway_ip, '10.160.0.254')
    assert.deepEqual(explicit.dns_nameservers, ['8.8.8.8'])
    const overlap = await demo.request('POST', `${NET}/subnets`, { body: { subnet: { network_id: network.id, ip_version: 4, cidr: '10.160.0.128/25' } } })
    assertNeutronError(overlap, 400, 'InvalidInput', `Invalid input for operation: Requested subnet with cidr: 10.160.0.128/25 for network: ${network.id} overlaps with another subnet.`)
    const noGateway = await createSubnet(demo, network.id, { cidr: '10.161.0.0/29', gateway_ip: null })
    assert.equal(noGateway.gateway_ip, null)
    assert.deepEqual(noGateway.allocation_pools, [{ start: '10.161.0.1', end: '10.161.0.6' }])
    const updated = await demo.request('PUT', `${NET}/subnets/${explicit.id}`, { body: { subnet: { name: 'changed', dns_nameservers: ['1.1.1.1'] } } })
    assert.equal(updated.body.subnet.name, 'changed')
    assert.deepEqual(updated.body.subnet.dns_nameservers, ['1.1.1.1'])
    assertNeutronError(await demo.request('PUT', `${NET}/subnets/${explicit.id}`, { body: { subnet: { cidr: '10.1.0.0/24' } } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute cidr')
    assert.equal((await demo.request('DELETE', `${NET}/networks/${network.id}`)).status, 204, 'subnets without ports go with their network')
  })

  test('ports: fixed IPs by subnet and address, address in use, pool exhausted, MAC in use, update and binding', async () => {
    const demo = cloud().demo
    const admin = cloud().admin
    const network = await createNetwork(demo)
    const subnet = await createSubnet(demo, network.id, { cidr: '10.170.0.0/29', enable_dhcp: false })
    const byAddress = await createPort(demo, network.id, { fixed_ips: [{ ip_address: '10.170.0.5' }], name: 'p1' })
    assert.deepEqual(byAddress.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.170.0.5' }])
    assertNeutronError(await demo.request('POST', `${NET}/ports`, { body: { port: { network_id: network.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.170.0.5' }] } } }),
      409, 'IpAddressAlreadyAllocated', `IP address 10.170.0.5 already allocated in subnet ${subnet.id}`)
    assertNeutronError(await demo.request('POST', `${NET}/ports`, { body: { port: { network_id: network.id, fixed_ips: [{ ip_address: '10.99.0.5' }] } } }),
      400, 'InvalidIpForNetwork', 'IP address 10.99.0.5 is not a valid IP for any of the subnets on the specified network.')
    assertNeutronError(await demo.request('POST', `${NET}/ports`, { body: { port: { network_id: network.id, fixed_ips: [{ subnet_id: 'nope' }] } } }),
      400, 'InvalidInput', `Invalid input for operation: Failed to create port on network ${network.id}, because fixed_ips included invalid subnet nope.`)
    assertNeutronError(await demo.request('POST', `${NET}/ports`, { body: { port: { network_id: network.id, mac_address: byAddress.mac_address } } }),
      409, 'MacAddressInUse', `Unable to complete operation for network ${network.id}. The mac address ${byAddress.mac_address} is in use.`)
    assertNeutronError(await demo.request('POST', `${NET}/ports`, { body: { port: { network_id: network.id, 'binding:host_id': 'h1' } } }), 403, 'PolicyNotAuthorized')
    // .1 is the gateway: .2, .3, .4, .6 remain; then the pool is exhausted.
    const rest = []
    for (let i = 0; i < 4; i++) rest.push(await createPort(demo, network.id))
    assert.deepEqual(rest.map((p) => p.fixed_ips[0].ip_address), ['10.170.0.2', '10.170.0.3', '10.170.0.4', '10.170.0.6'])
    assertNeutronError(await demo.request('POST', `${NET}/ports`, { body: { port: { network_id: network.id } } }), 409, 'IpAddressGenerationFailure',
      `No more IP addresses available on network ${network.id}.`)

    const moved = await demo.request('PUT', `${NET}/ports/${byAddress.id}`, { body: { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.170.0.5' }], name: 'renamed', device_id: 'dev-1', device_owner: 'compute:nova' } } })
    assert.equal(moved.status, 200, moved.text)
    assert.equal(moved.body.port.name, 'renamed')
    const bound = await admin.request('PUT', `${NET}/ports/${byAddress.id}`, { body: { port: { 'binding:host_id': 'host-a', 'binding:profile': { a: 1 } } } })
    assert.deepEqual([bound.body.port['binding:host_id'], bound.body.port['binding:vif_type'], bound.body.port['binding:profile']], ['host-a', 'tap', { a: 1 }])
    assert.deepEqual((await demo.request('GET', `${NET}/ports?device_id=dev-1&fields=id`)).body.ports, [{ id: byAddress.id }])
    assert.deepEqual((await demo.request('GET', `${NET}/ports?fixed_ips=ip_address%3D10.170.0.5&fields=id`)).body.ports, [{ id: byAddress.id }])
    for (const port of [byAddress, ...rest]) assert.equal((await demo.request('DELETE', `${NET}/ports/${port.id}`)).status, 204)
    assert.equal((await demo.request('DELETE', `${NET}/networks/${network.id}`)).status, 204)
  })

  test('quotas: show, details, admin update, 409 OverQuota, reset', async () => {
    const admin = cloud().admin
    const demo = cloud().demo
    const shown = await demo.request('GET', `${NET}/quotas/${demo.projectId}`)
    assert.equal(shown.status, 200)
    assert.equal(shown.body.quota.network, 100)
    assert.equal(shown.body.quota.port, 500)
    assertNeutronError(await demo.request('PUT', `${NET}/quotas/${demo.projectId}`, { body: { quota: { network: 1 } } }), 403, 'PolicyNotAuthorized')
    assertNeutronError(await demo.request('GET', `${NET}/quotas/${admin.projectId}`), 403, 'PolicyNotAuthorized')
    const used = (await demo.request('GET', `${NET}/quotas/${demo.projectId}/details`)).body.quota.network.used
    const set = await admin.request('PUT', `${NET}/quotas/${demo.projectId}`, { body: { quota: { network: used + 1 } } })
    assert.equal(set.body.quota.network, used + 1)
    assertNeutronError(await admin.request('PUT', `${NET}/quotas/${demo.projectId}`, { body: { quota: { widgets: 1 } } }), 400, 'HTTPBadRequest')
    const extra = await createNetwork(demo)
    assertNeutronError(await demo.request('POST', `${NET}/networks`, { body: { network: {} } }), 409, 'OverQuota', "Quota exceeded for resources: ['network'].")
    const details = await demo.request('GET', `${NET}/quotas/${demo.projectId}/details`)
    assert.deepEqual(details.body.quota.network, { limit: used + 1, used: used + 1, reserved: 0 })
    assert.ok((await admin.request('GET', `${NET}/quotas`)).body.quotas.some((q: any) => q.project_id === demo.projectId))
    assert.equal((await admin.request('DELETE', `${NET}/quotas/${demo.projectId}`)).status, 204)
    assert.equal((await demo.request('GET', `${NET}/quotas/${demo.projectId}`)).body.quota.network, 100)
    await demo.request('DELETE', `${NET}/networks/${extra.id}`)
  })
})
