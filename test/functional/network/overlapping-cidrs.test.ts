import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect, type Session } from '../../helpers/cloud.js'
import { action, bootServer, createImage } from '../../helpers/compute.js'
import { NET, assertNeutronError, createNetwork, createSubnet } from './network-helpers.js'

const C = '/compute/v2.1'

/** A project with a member user (as Tempest's pre-provisioned accounts), logged in. */
async function projectSession(admin: Session, login: (user: string, password: string, project: string) => Promise<Session>, name: string): Promise<Session> {
  const project = (await admin.request('POST', '/identity/v3/projects', { body: { project: { name, domain_id: 'default' } } })).body.project
  const user = (await admin.request('POST', '/identity/v3/users', { body: { user: { name, password: `${name}-pw`, domain_id: 'default', default_project_id: project.id } } })).body.user
  const role = (await admin.request('GET', '/identity/v3/roles?name=member')).body.roles[0]
  assert.equal((await admin.request('PUT', `/identity/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`)).status, 204)
  return login(name, `${name}-pw`, name)
}

/** A router with its gateway on `public` and an interface on the subnet. */
async function routedRouter(session: Session, publicId: string, subnetId: string, name: string): Promise<any> {
  const router = (await session.request('POST', `${NET}/routers`, { body: { router: { name, external_gateway_info: { network_id: publicId } } } })).body.router
  const added = await session.request('PUT', `${NET}/routers/${router.id}/add_router_interface`, { body: { subnet_id: subnetId } })
  assert.equal(added.status, 200, added.text)
  return router
}

describeEachDialect('network service: overlapping CIDRs (allow_overlapping_ips)', (cloud) => {
  let publicId = ''
  let privateSubnet: any
  let router1: any
  before(async () => {
    const demo = cloud().demo
    publicId = (await demo.request('GET', `${NET}/networks?name=public`)).body.networks[0].id
    privateSubnet = (await demo.request('GET', `${NET}/subnets?name=private-subnet`)).body.subnets[0]
    router1 = (await demo.request('GET', `${NET}/routers?name=router1`)).body.routers[0]
  })

  test('subnets: a CIDR may repeat on other networks, of any project; within one network it is refused; /0 is refused', async () => {
    const { admin, demo } = cloud()
    const mine = await createNetwork(demo, { name: 'second-10' })
    const again = await createSubnet(demo, mine.id, { cidr: '10.0.0.0/24' })
    assert.equal(again.cidr, '10.0.0.0/24')
    const adminNet = await createNetwork(admin, { name: 'admin-10' })
    assert.equal((await createSubnet(admin, adminNet.id, { cidr: '10.0.0.0/16' })).cidr, '10.0.0.0/16')
    const inside = await demo.request('POST', `${NET}/subnets`, { body: { subnet: { network_id: mine.id, ip_version: 4, cidr: '10.0.0.64/26' } } })
    assertNeutronError(inside, 400, 'InvalidInput', `Invalid input for operation: Requested subnet with cidr: 10.0.0.64/26 for network: ${mine.id} overlaps with another subnet.`)
    const zero = await demo.request('POST', `${NET}/subnets`, { body: { subnet: { network_id: mine.id, ip_version: 4, cidr: '0.0.0.0/0' } } })
    assertNeutronError(zero, 400, 'InvalidInput', 'Invalid input for operation: 0 is not allowed as CIDR prefix length.')
    assert.equal((await demo.request('GET', `${NET}/subnets?network_id=${mine.id}`)).body.subnets.length, 1, 'nothing made by the refusals')
    // Two ports at the same address on two networks; an ip_address filter finds both.
    const ports = (await admin.request('GET', `${NET}/ports?fixed_ips=ip_address=10.0.0.2&device_owner=network:dhcp`)).body.ports
    assert.deepEqual(ports.map((p: any) => p.network_id).sort(), [privateSubnet.network_id, mine.id, adminNet.id].sort())
    assert.deepEqual((await demo.request('GET', `${NET}/ports?fixed_ips=ip_address=10.0.0.2&network_id=${mine.id}`)).body.ports.length, 1)
    assert.equal((await demo.request('DELETE', `${NET}/networks/${adminNet.id}`)).status, 404, "another project's network stays hidden")
    assert.equal((await admin.request('DELETE', `${NET}/networks/${adminNet.id}`)).status, 204)
    assert.equal((await demo.request('DELETE', `${NET}/networks/${mine.id}`)).status, 204)
  })

  test("routers: no interface whose CIDR overlaps the router's subnets, by subnet or by port; nothing changes", async () => {
    const demo = cloud().demo
    const net = await createNetwork(demo, { name: 'overlap-if' })
    const subnet = await createSubnet(demo, net.id, { cidr: '10.0.0.128/25' })
    const bySubnet = await demo.request('PUT', `${NET}/routers/${router1.id}/add_router_interface`, { body: { subnet_id: subnet.id } })
    assertNeutronError(bySubnet, 400, 'BadRequest',
      `Bad router request: Cidr 10.0.0.128/25 of subnet ${subnet.id} overlaps with cidr 10.0.0.0/24 of subnet ${privateSubnet.id}.`)
    const port = (await demo.request('POST', `${NET}/ports`, { body: { port: { network_id: net.id } } })).body.port
    const byPort = await demo.request('PUT', `${NET}/routers/${router1.id}/add_router_interface`, { body: { port_id: port.id } })
    assertNeutronError(byPort, 400, 'BadRequest',
      `Bad router request: Cidr 10.0.0.128/25 of subnet ${subnet.id} overlaps with cidr 10.0.0.0/24 of subnet ${privateSubnet.id}.`)
    assert.equal((await demo.request('GET', `${NET}/ports/${port.id}`)).body.port.device_id, '')
    const ifaces = (await demo.request('GET', `${NET}/ports?device_id=${router1.id}&device_owner=network:router_interface`)).body.ports
    assert.equal(ifaces.length, 1)
    // A router without that subnet takes it.
    const other = (await demo.request('POST', `${NET}/routers`, { body: { router: { name: 'other' } } })).body.router
    assert.equal((await demo.request('PUT', `${NET}/routers/${other.id}/add_router_interface`, { body: { subnet_id: subnet.id } })).status, 200)
    assert.equal((await demo.request('PUT', `${NET}/routers/${other.id}/remove_router_interface`, { body: { subnet_id: subnet.id } })).status, 200)
    assert.equal((await demo.request('DELETE', `${NET}/routers/${other.id}`)).status, 204)
    assert.equal((await demo.request('DELETE', `${NET}/ports/${port.id}`)).status, 204)
    assert.equal((await demo.request('DELETE', `${NET}/networks/${net.id}`)).status, 204)
  })

  test("routers: the gateway network's subnets may not overlap the interfaces' (either way round); a refused gateway change keeps the old one", async () => {
    const { admin, demo } = cloud()
    const external = await createNetwork(admin, { name: 'ext-10', 'router:external': true, shared: true })
    const extSubnet = await createSubnet(admin, external.id, { cidr: '10.0.0.0/26', enable_dhcp: false })
    const change = await demo.request('PUT', `${NET}/routers/${router1.id}`, { body: { router: { external_gateway_info: { network_id: external.id } } } })
    assertNeutronError(change, 400, 'BadRequest',
      `Bad router request: Cidr 10.0.0.0/26 of subnet ${extSubnet.id} overlaps with cidr 10.0.0.0/24 of subnet ${privateSubnet.id}.`)
    assert.equal((await demo.request('GET', `${NET}/routers/${router1.id}`)).body.router.external_gateway_info.network_id, publicId)
    const created = await demo.request('POST', `${NET}/routers`, { body: { router: { name: 'via-ext-10', external_gateway_info: { network_id: external.id } } } })
    assert.equal(created.status, 201, created.text)
    const router = created.body.router
    const iface = await demo.request('PUT', `${NET}/routers/${router.id}/add_router_interface`, { body: { subnet_id: privateSubnet.id } })
    assertNeutronError(iface, 400, 'BadRequest',
      `Bad router request: Cidr 10.0.0.0/24 of subnet ${privateSubnet.id} overlaps with cidr 10.0.0.0/26 of subnet ${extSubnet.id}.`)
    assert.equal((await demo.request('DELETE', `${NET}/routers/${router.id}`)).status, 204)
    assert.equal((await admin.request('DELETE', `${NET}/networks/${external.id}`)).status, 204)
  })

  test('two projects, each with 10.0.0.0/24 and its router: servers at the same fixed IP, each with its own floating IP and forwards', async () => {
    const { admin, demo } = cloud()
    const imageRef = await createImage(admin)
    const teamB = await projectSession(admin, (u, p, n) => cloud().login(u, p, n), 'team-b')
    const netB = await createNetwork(teamB, { name: 'private-b' })
    const subnetB = await createSubnet(teamB, netB.id, { cidr: '10.0.0.0/24' })
    const routerB = await routedRouter(teamB, publicId, subnetB.id, 'router-b')
    const serverA = await bootServer(demo, { imageRef, name: 'in-a' })
    const serverB = await bootServer(teamB, { imageRef, name: 'in-b' })
    const portA = (await demo.request('GET', `${NET}/ports?device_id=${serverA.id}`)).body.ports[0]
    const portB = (await teamB.request('GET', `${NET}/ports?device_id=${serverB.id}`)).body.ports[0]
    assert.equal(portA.fixed_ips[0].ip_address, portB.fixed_ips[0].ip_address, 'the same first free address in each 10.0.0.0/24')
    const fixedIp = portA.fixed_ips[0].ip_address
    assert.deepEqual([portA.network_id, portB.network_id], [privateSubnet.network_id, netB.id])
    // Each project's ip_address filter sees its own port only.
    assert.deepEqual((await teamB.request('GET', `${NET}/ports?fixed_ips=ip_address=${fixedIp}`)).body.ports.map((p: any) => p.id), [portB.id])
    assert.deepEqual((await demo.request('GET', `${NET}/ports?fixed_ips=ip_address=${fixedIp}&device_owner=compute:nova`)).body.ports.map((p: any) => p.id), [portA.id])

    // Project A through Neutron, project B through Nova's addFloatingIp with the (shared) fixed address.
    const fipA = (await demo.request('POST', `${NET}/floatingips`, { body: { floatingip: { floating_network_id: publicId, port_id: portA.id } } })).body.floatingip
    assert.deepEqual([fipA.fixed_ip_address, fipA.router_id, fipA.port_details.device_id], [fixedIp, router1.id, serverA.id])
    const fipB = (await teamB.request('POST', `${C}/os-floating-ips`, { body: { pool: 'public' } })).body.floating_ip
    assert.equal((await action(teamB, serverB.id, { addFloatingIp: { address: fipB.ip, fixed_address: fixedIp } })).status, 202)
    const neutronB = (await teamB.request('GET', `${NET}/floatingips/${fipB.id}`)).body.floatingip
    assert.deepEqual([neutronB.fixed_ip_address, neutronB.router_id, neutronB.port_id], [fixedIp, routerB.id, portB.id])
    assert.deepEqual((await demo.request('GET', `${NET}/floatingips?fixed_ip_address=${fixedIp}`)).body.floatingips.map((f: any) => f.id), [fipA.id])
    assert.deepEqual((await teamB.request('GET', `${NET}/floatingips?fixed_ip_address=${fixedIp}`)).body.floatingips.map((f: any) => f.id), [fipB.id])

    // SSH allowed in each project's default group: each server forwards its own floating IP only.
    for (const session of [demo, teamB]) {
      const group = (await session.request('GET', `${NET}/security-groups?name=default`)).body.security_groups[0]
      const rule = await session.request('POST', `${NET}/security-group-rules`, { body: { security_group_rule: {
        security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22,
      } } })
      assert.equal(rule.status, 201, rule.text)
    }
    const servers = cloud().running.services.network.servers
    assert.deepEqual((await servers.nics(serverA.id)).map((n) => [n.ip, n.forwards]), [[fixedIp, [{ protocol: 'tcp', hostAddress: fipA.floating_ip_address, hostPort: 10022, guestPort: 22 }]]])
    assert.deepEqual((await servers.nics(serverB.id)).map((n) => [n.ip, n.forwards]), [[fixedIp, [{ protocol: 'tcp', hostAddress: fipB.ip, hostPort: 10022, guestPort: 22 }]]])
    const shownB = (await teamB.request('GET', `${C}/servers/${serverB.id}`)).body.server
    assert.deepEqual(shownB.addresses['private-b'].map((a: any) => [a.addr, a['OS-EXT-IPS:type']]), [[fixedIp, 'fixed'], [fipB.ip, 'floating']])
    assert.equal((await teamB.request('GET', `${C}/servers/${serverA.id}`)).status, 404, "another project's server stays hidden")

    // Two external networks on one range: the same floating address twice is Nova's "multiple found", not a 500.
    const public2 = await createNetwork(admin, { name: 'public-2', 'router:external': true })
    await createSubnet(admin, public2.id, { cidr: '127.42.0.0/24', enable_dhcp: false })
    for (const network of [publicId, public2.id]) {
      const made = await admin.request('POST', `${NET}/floatingips`, { body: { floatingip: { floating_network_id: network, floating_ip_address: '127.42.0.200' } } })
      assert.equal(made.status, 201, made.text)
    }
    const twice = await action(admin, serverA.id, { addFloatingIp: { address: '127.42.0.200' } })
    assert.equal(twice.status, 409, twice.text)
    assert.equal(twice.body.conflictingRequest.message, 'Multiple floating IPs are found for address 127.42.0.200.')
  })
})
