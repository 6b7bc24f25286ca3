import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'

describe('openstack CLI: router, floating ip, security group', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  before(async () => {
    cloud = await startTestCloud('sqlite')
  })
  after(async () => {
    await cloud?.close()
  })

  test('security group rule create --proto tcp --dst-port 22 default; group create / list / delete', async () => {
    const rule = await openstackJson(cloud, 'lifeboat-demo', ['security', 'group', 'rule', 'create', '--proto', 'tcp', '--dst-port', '22', 'default'])
    assert.deepEqual([rule.protocol, rule.port_range_min, rule.port_range_max, rule.direction], ['tcp', 22, 22, 'ingress'])
    const duplicate = await openstack(cloud, 'lifeboat-demo', ['security', 'group', 'rule', 'create', '--proto', 'tcp', '--dst-port', '22', 'default'])
    assert.notEqual(duplicate.code, 0)
    assert.match(duplicate.stderr, /Security group rule already exists/)
    const group = await openstackJson(cloud, 'lifeboat-demo', ['security', 'group', 'create', '--description', 'web', 'cli-web'])
    assert.equal(group.name, 'cli-web')
    const groups = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-demo', ['security', 'group', 'list'])
    assert.deepEqual(groups.map((g) => g.Name).sort(), ['cli-web', 'default'])
    const rules = await openstackJson<Array<{ 'IP Protocol': string | null }>>(cloud, 'lifeboat-demo', ['security', 'group', 'rule', 'list', 'default'])
    assert.equal(rules.length, 5, 'four default rules and the SSH rule')
    assert.equal((await openstack(cloud, 'lifeboat-demo', ['security', 'group', 'delete', 'cli-web'])).code, 0)
  })

  test('router create / set --external-gateway / add subnet; floating ip create public; server add floating ip', async () => {
    const router = await openstackJson(cloud, 'lifeboat-demo', ['router', 'create', 'cli-router'])
    assert.equal(router.name, 'cli-router')
    const net = await openstackJson(cloud, 'lifeboat-demo', ['network', 'create', 'cli-l3-net'])
    await openstackJson(cloud, 'lifeboat-demo', ['subnet', 'create', '--network', 'cli-l3-net', '--subnet-range', '10.220.0.0/24', 'cli-l3-subnet'])
    const set = await openstack(cloud, 'lifeboat-demo', ['router', 'set', '--external-gateway', 'public', 'cli-router'])
    assert.equal(set.code, 0, set.stderr)
    const added = await openstack(cloud, 'lifeboat-demo', ['router', 'add', 'subnet', 'cli-router', 'cli-l3-subnet'])
    assert.equal(added.code, 0, added.stderr)
    const shown = await openstackJson(cloud, 'lifeboat-demo', ['router', 'show', 'cli-router'])
    assert.match(JSON.stringify(shown.external_gateway_info), /127\.42\.0\./)

    const image = await openstackJson(cloud, 'lifeboat-admin', ['image', 'create', '--public', '--disk-format', 'raw', '--container-format', 'bare', '--file', '/dev/null', 'cli-l3-image'])
    const server = await openstackJson(cloud, 'lifeboat-demo', ['server', 'create', '--flavor', '1', '--image', image.id, '--network', 'private', '--wait', 'cli-l3-vm'])
    const fip = await openstackJson(cloud, 'lifeboat-demo', ['floating', 'ip', 'create', 'public'])
    assert.match(fip.floating_ip_address, /^127\.42\.0\.\d+$/)
    const attach = await openstack(cloud, 'lifeboat-demo', ['server', 'add', 'floating', 'ip', 'cli-l3-vm', fip.floating_ip_address])
    assert.equal(attach.code, 0, attach.stderr)
    const withFip = await openstackJson(cloud, 'lifeboat-demo', ['server', 'show', 'cli-l3-vm'])
    assert.match(JSON.stringify(withFip.addresses), new RegExp(fip.floating_ip_address.replaceAll('.', '\\.')))
    const listed = await openstackJson<Array<{ 'Floating IP Address': string; Port: string | null }>>(cloud, 'lifeboat-demo', ['floating', 'ip', 'list'])
    assert.ok(listed.some((f) => f['Floating IP Address'] === fip.floating_ip_address && f.Port), JSON.stringify(listed))
    const detach = await openstack(cloud, 'lifeboat-demo', ['server', 'remove', 'floating', 'ip', 'cli-l3-vm', fip.floating_ip_address])
    assert.equal(detach.code, 0, detach.stderr)
    const inUse = await openstack(cloud, 'lifeboat-demo', ['router', 'delete', 'cli-router'])
    assert.notEqual(inUse.code, 0, 'a router with an interface is refused')
    for (const args of [['floating', 'ip', 'delete', fip.id], ['server', 'delete', '--wait', server.id], ['router', 'remove', 'subnet', 'cli-router', 'cli-l3-subnet'],
      ['router', 'delete', 'cli-router'], ['subnet', 'delete', 'cli-l3-subnet'], ['network', 'delete', net.id]]) {
      const done = await openstack(cloud, 'lifeboat-demo', args)
      assert.equal(done.code, 0, `${args.join(' ')}: ${done.stderr}`)
    }
  })
})
