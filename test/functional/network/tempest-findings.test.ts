import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { NET, createNetwork, createSubnet, freshCidr } from './network-helpers.js'

// Neutron behaviours that Tempest's network API modules check (test/clients/tempest-network.test.ts).

describeEachDialect('network service: what Tempest checks', (cloud) => {
  test("an external network's subnets are hidden from other projects unless the network is shared", async () => {
    const { admin, demo } = cloud()
    const external = await createNetwork(admin, { 'router:external': true })
    const subnet = await createSubnet(admin, external.id, { cidr: freshCidr(), enable_dhcp: false })
    const seen = await demo.request('GET', `${NET}/subnets?network_id=${external.id}`)
    assert.equal(seen.status, 200)
    assert.deepEqual(seen.body.subnets, [])
    assert.equal((await demo.request('GET', `${NET}/subnets/${subnet.id}`)).status, 404)
    // The network itself stays visible, with its subnet ids (Neutron lists them there).
    assert.deepEqual((await demo.request('GET', `${NET}/networks/${external.id}`)).body.network.subnets, [subnet.id])
    const shared = await createNetwork(admin, { 'router:external': true, shared: true })
    const sharedSubnet = await createSubnet(admin, shared.id, { cidr: freshCidr(), enable_dhcp: false })
    assert.deepEqual((await demo.request('GET', `${NET}/subnets?network_id=${shared.id}`)).body.subnets.map((s: { id: string }) => s.id), [sharedSubnet.id])
  })

  test('a router update with routes null clears the routes', async () => {
    const { demo } = cloud()
    const router = (await demo.request('POST', `${NET}/routers`, { body: { router: { name: 'routes-null' } } })).body.router
    const cleared = await demo.request('PUT', `${NET}/routers/${router.id}`, { body: { router: { routes: null } } })
    assert.equal(cleared.status, 200, cleared.text)
    assert.deepEqual(cleared.body.router.routes, [])
  })

  test('a security group rule created with remote_group_id and remote_ip_prefix null answers null for both', async () => {
    const { demo } = cloud()
    const group = (await demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'nulls' } } })).body.security_group
    const created = await demo.request('POST', `${NET}/security-group-rules`, {
      body: { security_group_rule: { security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 8, port_range_max: 0, remote_group_id: null, remote_ip_prefix: null } },
    })
    assert.equal(created.status, 201, created.text)
    assert.deepEqual(
      { group: created.body.security_group_rule.remote_group_id, prefix: created.body.security_group_rule.remote_ip_prefix },
      { group: null, prefix: null },
    )
  })

  test('ICMP rules: type 0 stays 0, a null code stays null (Tempest icmp_type_code cases)', async () => {
    const { demo } = cloud()
    const group = (await demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'icmp' } } })).body.security_group
    for (const [type, code] of [[0, 0], [11, null], [3, 2]] as const) {
      const created = await demo.request('POST', `${NET}/security-group-rules`, {
        body: { security_group_rule: { security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: type, port_range_max: code } },
      })
      assert.equal(created.status, 201, created.text)
      assert.deepEqual([created.body.security_group_rule.port_range_min, created.body.security_group_rule.port_range_max], [type, code])
    }
  })
})
