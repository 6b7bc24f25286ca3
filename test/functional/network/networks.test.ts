import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { NET, assertNeutronError, createNetwork, createPort, createSubnet } from './network-helpers.js'

describeEachDialect('network service: endpoint, networks, isolation', (cloud) => {
  test('the catalog has an unversioned network endpoint that answers the versions document and v2.0', async () => {
    const { body } = await cloud().request('POST', '/identity/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'demo-secret-pw' } } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } } },
    })
    const network = body.token.catalog.find((c: any) => c.type === 'network')
    const url: string = network.endpoints.find((e: any) => e.interface === 'public').url
    assert.equal(url, `${cloud().url}/network`)
    const versions = await cloud().request('GET', '/network/')
    assert.equal(versions.status, 200)
    assert.deepEqual(versions.body, { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${cloud().url}/network/v2.0/` }] }] })
    const noToken = await cloud().request('GET', `${NET}/networks`)
    assert.equal(noToken.status, 401)
    assert.equal(noToken.body.NeutronError.type, 'HTTPUnauthorized')
  })

  test('create, show, update and delete a network with Neutron\'s attributes', async () => {
    const demo = cloud().demo
    const network = await createNetwork(demo, { name: 'n1', description: 'first' })
    assert.equal(network.tenant_id, demo.projectId)
    assert.equal(network.project_id, demo.projectId)
    assert.deepEqual(
      { status: network.status, admin_state_up: network.admin_state_up, shared: network.shared, external: network['router:external'], mtu: network.mtu, subnets: network.subnets, ps: network.port_security_enabled, az: network.availability_zones, rev: network.revision_number, tags: network.tags },
      { status: 'ACTIVE', admin_state_up: true, shared: false, external: false, mtu: 1500, subnets: [], ps: true, az: ['nova'], rev: 1, tags: [] },
    )
    assert.match(network.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.equal('provider:network_type' in network, false, 'provider attributes are for admins')
    const adminView = await cloud().admin.request('GET', `${NET}/networks/${network.id}`)
    assert.equal(adminView.body.network['provider:network_type'], 'local')

    const updated = await demo.request('PUT', `${NET}/networks/${network.id}`, { body: { network: { name: 'renamed', mtu: 1400 } } })
    assert.equal(updated.status, 200)
    assert.equal(updated.body.network.name, 'renamed')
    assert.equal(updated.body.network.mtu, 1400)
    assert.equal(updated.body.network.revision_number, 2)
    const readOnly = await demo.request('PUT', `${NET}/networks/${network.id}`, { body: { network: { tenant_id: 'x' } } })
    assertNeutronError(readOnly, 400, 'HTTPBadRequest', 'Cannot update read-only attribute tenant_id')

    const fields = await demo.request('GET', `${NET}/networks/${network.id}?fields=id&fields=name`)
    assert.deepEqual(fields.body.network, { id: network.id, name: 'renamed' })
    assert.equal((await demo.request('DELETE', `${NET}/networks/${network.id}`)).status, 204)
    assertNeutronError(await demo.request('GET', `${NET}/networks/${network.id}`), 404, 'NetworkNotFound', `Network ${network.id} could not be found.`)
  })

  test('bad bodies get Neutron\'s 400 and change nothing', async () => {
    const demo = cloud().demo
    const before = (await demo.request('GET', `${NET}/networks`)).body.networks.length
    assertNeutronError(await demo.request('POST', `${NET}/networks`, { body: { network: { name: 'x', colour: 'red' } } }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'colour'")
    assertNeutronError(await demo.request('POST', `${NET}/networks`, { body: { net: {} } }), 400, 'HTTPBadRequest')
    assertNeutronError(await demo.request('POST', `${NET}/networks`, { body: { network: { mtu: 'big' } } }), 400, 'HTTPBadRequest', /^Invalid input for mtu/)
    assertNeutronError(await demo.request('POST', `${NET}/networks`, { rawBody: '{"network": ', contentType: 'application/json' }), 400, 'HTTPBadRequest')
    assert.equal((await demo.request('GET', `${NET}/networks`)).body.networks.length, before)
  })

  test('admin attributes: shared and router:external are refused to a member (403) and allowed to admin', async () => {
    const demo = cloud().demo
    assertNeutronError(await demo.request('POST', `${NET}/networks`, { body: { network: { shared: true } } }), 403, 'PolicyNotAuthorized', '(rule:create_network:shared) is disallowed by policy')
    assertNeutronError(await demo.request('POST', `${NET}/networks`, { body: { network: { 'router:external': true } } }), 403, 'PolicyNotAuthorized')
    const shared = await createNetwork(cloud().admin, { shared: true, name: 'shared-net' })
    const external = await createNetwork(cloud().admin, { 'router:external': true, name: 'ext-net' })
    const hidden = await createNetwork(cloud().admin, { name: 'admin-only' })
    const seen = (await demo.request('GET', `${NET}/networks`)).body.networks.map((n: any) => n.id)
    assert.ok(seen.includes(shared.id) && seen.includes(external.id))
    assert.ok(!seen.includes(hidden.id))
    assertNeutronError(await demo.request('GET', `${NET}/networks/${hidden.id}`), 404, 'NetworkNotFound')
    // Visible but not owned: changes are a 403, as Neutron's policy check after the lookup.
    assertNeutronError(await demo.request('PUT', `${NET}/networks/${shared.id}`, { body: { network: { name: 'mine' } } }), 403, 'PolicyNotAuthorized')
    assertNeutronError(await demo.request('DELETE', `${NET}/networks/${hidden.id}`), 404, 'NetworkNotFound')
    // A member cannot create a port on an external network it does not own, but can on a shared one.
    assertNeutronError(await demo.request('POST', `${NET}/ports`, { body: { port: { network_id: external.id } } }), 403, 'PolicyNotAuthorized')
    await createSubnet(cloud().admin, shared.id)
    const port = await createPort(demo, shared.id)
    assert.equal(port.tenant_id, demo.projectId)
    for (const id of [port.id]) await demo.request('DELETE', `${NET}/ports/${id}`)
  })

  test('another project\'s networks, subnets and ports are 404 to it; tenant_id of another project needs admin', async () => {
    const admin = cloud().admin
    const demo = cloud().demo
    const network = await createNetwork(admin, { name: 'admin-private' })
    const subnet = await createSubnet(admin, network.id)
    const port = await createPort(admin, network.id)
    assertNeutronError(await demo.request('GET', `${NET}/subnets/${subnet.id}`), 404, 'SubnetNotFound', `Subnet ${subnet.id} could not be found.`)
    assertNeutronError(await demo.request('GET', `${NET}/ports/${port.id}`), 404, 'PortNotFound', `Port ${port.id} could not be found.`)
    assertNeutronError(await demo.request('DELETE', `${NET}/ports/${port.id}`), 404, 'PortNotFound')
    assert.ok(!(await demo.request('GET', `${NET}/ports`)).body.ports.some((p: any) => p.id === port.id))
    assertNeutronError(await demo.request('POST', `${NET}/networks`, { body: { network: { tenant_id: admin.projectId } } }), 400, 'HTTPBadRequest',
      "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges")
    const forDemo = await createNetwork(admin, { project_id: demo.projectId, name: 'made-for-demo' })
    assert.equal(forDemo.tenant_id, demo.projectId)
    assert.equal((await demo.request('GET', `${NET}/networks/${forDemo.id}`)).status, 200)
  })

  test('filters (repeated = any), sorting, fields and paging with Neutron\'s links', async () => {
    const demo = cloud().demo
    const names = ['page-a', 'page-b', 'page-c', 'page-d']
    const made = []
    for (const name of names) made.push(await createNetwork(demo, { name }))
    const any = await demo.request('GET', `${NET}/networks?name=page-a&name=page-c&fields=name`)
    assert.deepEqual(any.body.networks.map((n: any) => n.name).sort(), ['page-a', 'page-c'])
    assert.deepEqual(Object.keys(any.body.networks[0]), ['name'])
    const byBool = await demo.request('GET', `${NET}/networks?shared=False&name=page-b`)
    assert.deepEqual(byBool.body.networks.map((n: any) => n.name), ['page-b'])
    const sorted = await demo.request('GET', `${NET}/networks?name=page-a&name=page-b&name=page-c&name=page-d&sort_key=name&sort_dir=desc`)
    assert.deepEqual(sorted.body.networks.map((n: any) => n.name), ['page-d', 'page-c', 'page-b', 'page-a'])
    const filter = names.map((n) => `name=${n}`).join('&')
    const first = await demo.request('GET', `${NET}/networks?${filter}&sort_key=name&sort_dir=asc&limit=2`)
    assert.deepEqual(first.body.networks.map((n: any) => n.name), ['page-a', 'page-b'])
    const next = first.body.networks_links.find((l: any) => l.rel === 'next')
    assert.ok(next, 'a next link')
    const url = new URL(next.href)
    assert.equal(url.searchParams.get('marker'), made[1].id)
    const second = await demo.request('GET', `${url.pathname}${url.search}`)
    assert.deepEqual(second.body.networks.map((n: any) => n.name), ['page-c', 'page-d'])
    assert.deepEqual(second.body.networks_links.map((l: any) => l.rel), ['previous'])
    assertNeutronError(await demo.request('GET', `${NET}/networks?marker=00000000-0000-0000-0000-000000000000&limit=1`), 404, 'NetworkNotFound')
    assertNeutronError(await demo.request('GET', `${NET}/networks?limit=x`), 400, 'HTTPBadRequest')
    for (const n of made) await demo.request('DELETE', `${NET}/networks/${n.id}`)
  })

  test('filter validation: an unknown filter is 400 HTTPBadRequest with the keys as Python prints them; the extension is listed', async () => {
    const demo = cloud().demo
    assertNeutronError(await demo.request('GET', `${NET}/networks?foo=1`), 400, 'HTTPBadRequest', "['foo'] is invalid attribute for filtering")
    assertNeutronError(await demo.request('GET', `${NET}/ports?name=x&bar=1&baz=2`), 400, 'HTTPBadRequest', "['bar', 'baz'] is invalid attribute for filtering")
    // Shown but not filters in Neutron: a router's status, created_at, a subnet's allocation_pools; a security group rule has no tags.
    assertNeutronError(await demo.request('GET', `${NET}/routers?status=ACTIVE`), 400, 'HTTPBadRequest', "['status'] is invalid attribute for filtering")
    assertNeutronError(await demo.request('GET', `${NET}/networks?created_at=x`), 400, 'HTTPBadRequest', "['created_at'] is invalid attribute for filtering")
    assertNeutronError(await demo.request('GET', `${NET}/subnets?allocation_pools=x`), 400, 'HTTPBadRequest', "['allocation_pools'] is invalid attribute for filtering")
    assertNeutronError(await demo.request('GET', `${NET}/security-group-rules?tags=x`), 400, 'HTTPBadRequest', "['tags'] is invalid attribute for filtering")
    // Paging, sorting and fields are no filters; the attributes Neutron marks is_filter are.
    const control = await demo.request('GET', `${NET}/networks?fields=name&sort_key=name&sort_dir=asc&limit=5&page_reverse=False`)
    assert.equal(control.status, 200, control.text)
    for (const query of [
      'networks?router:external=True&project_id=x&tenant_id=x&description=&revision_number=1&mtu=1500&is_default=False',
      'subnets?cidr=10.0.0.0/24&ip_version=4&gateway_ip=10.0.0.1&enable_dhcp=True&network_id=x&subnetpool_id=',
      'ports?fixed_ips=ip_address=10.0.0.2&device_owner=network:dhcp&mac_address=x&security_groups=x&binding:host_id=x',
      'routers?name=router1&admin_state_up=True&tags-any=x', 'floatingips?floating_ip_address=x&port_id=x&router_id=x&status=DOWN',
      'security-groups?name=default&stateful=True', 'security-group-rules?direction=ingress&ethertype=IPv4&protocol=tcp&remote_ip_prefix=x',
    ]) assert.equal((await demo.request('GET', `${NET}/${query}`)).status, 200, query)
    const extension = (await demo.request('GET', `${NET}/extensions/filter-validation`)).body.extension
    assert.deepEqual([extension.name, extension.description], ['Filter parameters validation', 'Provides validation on filter parameters.'])
  })

  test('bulk create makes all or nothing', async () => {
    const demo = cloud().demo
    const made = await demo.request('POST', `${NET}/networks`, { body: { networks: [{ name: 'bulk-1' }, { name: 'bulk-2' }] } })
    assert.equal(made.status, 201)
    assert.deepEqual(made.body.networks.map((n: any) => n.name), ['bulk-1', 'bulk-2'])
    const network = made.body.networks[0]
    const refused = await demo.request('POST', `${NET}/subnets`, { body: { subnets: [
      { network_id: network.id, ip_version: 4, cidr: '10.190.0.0/24' }, { network_id: network.id, ip_version: 4, cidr: '10.190.0.0/25' },
    ] } })
    assertNeutronError(refused, 400, 'InvalidInput')
    assert.deepEqual((await demo.request('GET', `${NET}/subnets?network_id=${network.id}`)).body.subnets, [])
    for (const n of made.body.networks) assert.equal((await demo.request('DELETE', `${NET}/networks/${n.id}`)).status, 204)
  })

  test('tags: add, replace, check, remove, filter by tags', async () => {
    const demo = cloud().demo
    const network = await createNetwork(demo, { name: 'tagged' })
    assert.equal((await demo.request('PUT', `${NET}/networks/${network.id}/tags/blue`)).status, 201)
    assert.equal((await demo.request('GET', `${NET}/networks/${network.id}/tags/blue`)).status, 204)
    assertNeutronError(await demo.request('GET', `${NET}/networks/${network.id}/tags/red`), 404, 'TagNotFound', `Tag red could not be found for network ${network.id}.`)
    const replaced = await demo.request('PUT', `${NET}/networks/${network.id}/tags`, { body: { tags: ['red', 'green'] } })
    assert.deepEqual(replaced.body.tags, ['green', 'red'])
    assert.deepEqual((await demo.request('GET', `${NET}/networks?tags=red,green`)).body.networks.map((n: any) => n.id), [network.id])
    assert.equal((await demo.request('GET', `${NET}/networks?not-tags-any=red`)).body.networks.some((n: any) => n.id === network.id), false)
    assert.equal((await demo.request('DELETE', `${NET}/networks/${network.id}/tags/red`)).status, 204)
    assert.deepEqual((await demo.request('GET', `${NET}/networks/${network.id}`)).body.network.tags, ['green'])
    await demo.request('DELETE', `${NET}/networks/${network.id}`)
  })

  test('extensions list the aliases served; an unknown alias is a 404', async () => {
    const demo = cloud().demo
    const res = await demo.request('GET', `${NET}/extensions`)
    const aliases = res.body.extensions.map((e: any) => e.alias)
    for (const alias of ['binding', 'external-net', 'net-mtu', 'port-security', 'quotas', 'standard-attr-tag', 'project-id']) assert.ok(aliases.includes(alias), alias)
    assert.equal((await demo.request('GET', `${NET}/extensions/binding`)).body.extension.alias, 'binding')
    assertNeutronError(await demo.request('GET', `${NET}/extensions/nope`), 404, 'HTTPNotFound')
    assertNeutronError(await demo.request('GET', `${NET}/nothing-here`), 404, 'HTTPNotFound')
  })
})
