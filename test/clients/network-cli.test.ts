import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'

describe('openstack CLI: network, subnet, port', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  before(async () => {
    cloud = await startTestCloud('sqlite')
  })
  after(async () => {
    await cloud?.close()
  })

  test('network list shows the first-start topology; network show finds by name', async () => {
    const networks = await openstackJson<Array<{ Name: string; Subnets: string[] | string }>>(cloud, 'lifeboat-demo', ['network', 'list'])
    assert.deepEqual(networks.map((n) => n.Name).sort(), ['private', 'public'])
    const priv = await openstackJson(cloud, 'lifeboat-demo', ['network', 'show', 'private'])
    assert.equal(priv.name, 'private')
    assert.equal(priv.status, 'ACTIVE')
  })

  test('network, subnet and port create / list / show / delete', async () => {
    const network = await openstackJson(cloud, 'lifeboat-demo', ['network', 'create', 'cli-net'])
    assert.equal(network.name, 'cli-net')
    const subnet = await openstackJson(cloud, 'lifeboat-demo', ['subnet', 'create', '--network', 'cli-net', '--subnet-range', '10.210.0.0/24', 'cli-subnet'])
    assert.equal(subnet.cidr, '10.210.0.0/24')
    assert.equal(subnet.gateway_ip, '10.210.0.1')
    const subnets = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-demo', ['subnet', 'list', '--network', 'cli-net'])
    assert.deepEqual(subnets.map((s) => s.Name), ['cli-subnet'])
    const port = await openstackJson(cloud, 'lifeboat-demo', ['port', 'create', '--network', 'cli-net', '--fixed-ip', 'subnet=cli-subnet,ip-address=10.210.0.20', 'cli-port'])
    assert.equal(port.name, 'cli-port')
    const ports = await openstackJson<Array<{ Name: string; 'Fixed IP Addresses': unknown }>>(cloud, 'lifeboat-demo', ['port', 'list', '--network', 'cli-net'])
    assert.ok(ports.some((p) => p.Name === 'cli-port' && JSON.stringify(p['Fixed IP Addresses']).includes('10.210.0.20')), JSON.stringify(ports))
    const shown = await openstackJson(cloud, 'lifeboat-demo', ['port', 'show', 'cli-port'])
    assert.equal(shown.id, port.id)
    const inUse = await openstack(cloud, 'lifeboat-demo', ['network', 'delete', 'cli-net'])
    assert.notEqual(inUse.code, 0, 'a network with a port is refused')
    for (const [kind, name] of [['port', 'cli-port'], ['subnet', 'cli-subnet'], ['network', 'cli-net']] as const) {
      const deleted = await openstack(cloud, 'lifeboat-demo', [kind, 'delete', name])
      assert.equal(deleted.code, 0, deleted.stderr)
    }
    const left = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-demo', ['network', 'list'])
    assert.ok(!left.some((n) => n.Name === 'cli-net'))
  })

  test('server create --network private gets an address on private', async () => {
    const image = await openstackJson(cloud, 'lifeboat-admin', ['image', 'create', '--public', '--disk-format', 'raw', '--container-format', 'bare', '--file', '/dev/null', 'cli-net-image'])
    const server = await openstackJson(cloud, 'lifeboat-demo', ['server', 'create', '--flavor', '1', '--image', image.id, '--network', 'private', '--wait', 'cli-vm'])
    assert.equal(server.status, 'ACTIVE')
    assert.match(JSON.stringify(server.addresses), /10\.0\.0\.\d+/)
    const deleted = await openstack(cloud, 'lifeboat-demo', ['server', 'delete', '--wait', 'cli-vm'])
    assert.equal(deleted.code, 0, deleted.stderr)
  })
})
