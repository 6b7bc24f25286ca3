import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'

describe('openstack CLI: placement (osc-placement)', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  let uuid: string
  before(async () => {
    cloud = await startTestCloud('sqlite')
  })
  after(async () => {
    await cloud?.close()
  })

  test('resource provider create and list (microversion negotiated from GET /placement/)', async () => {
    const created = await openstackJson(cloud, 'lifeboat-admin', ['resource', 'provider', 'create', 'cli-host'])
    assert.equal(created.name, 'cli-host')
    assert.equal(created.generation, 0)
    uuid = created.uuid
    const list = await openstackJson<Array<{ uuid: string; name: string }>>(cloud, 'lifeboat-admin', ['resource', 'provider', 'list'])
    assert.ok(list.some((p) => p.uuid === uuid && p.name === 'cli-host'))
    const named = await openstackJson<Array<{ name: string }>>(cloud, 'lifeboat-admin', ['resource', 'provider', 'list', '--name', 'cli-host'])
    assert.deepEqual(named.map((p) => p.name), ['cli-host'])
  })

  test('resource provider inventory set and list', async () => {
    const set = await openstackJson<Array<{ resource_class: string; total: number }>>(cloud, 'lifeboat-admin', [
      'resource', 'provider', 'inventory', 'set', uuid, '--resource', 'VCPU=4', '--resource', 'MEMORY_MB=2048', '--resource', 'VCPU:allocation_ratio=2.0',
    ])
    const vcpu = set.find((i) => i.resource_class === 'VCPU')
    assert.equal(vcpu?.total, 4)
    const list = await openstackJson<Array<{ resource_class: string; allocation_ratio: number }>>(cloud, 'lifeboat-admin', ['resource', 'provider', 'inventory', 'list', uuid])
    assert.deepEqual(list.map((i) => i.resource_class).sort(), ['MEMORY_MB', 'VCPU'])
    assert.equal(list.find((i) => i.resource_class === 'VCPU')?.allocation_ratio, 2)
  })

  test('trait list shows the standard traits; resource provider trait set and list', async () => {
    const traits = await openstackJson<Array<{ name: string }>>(cloud, 'lifeboat-admin', ['trait', 'list'])
    assert.ok(traits.some((t) => t.name === 'COMPUTE_RESCUE_BFV'))
    const created = await openstack(cloud, 'lifeboat-admin', ['trait', 'create', 'CUSTOM_CLI'])
    assert.equal(created.code, 0, created.stderr)
    const set = await openstackJson<Array<{ name: string }>>(cloud, 'lifeboat-admin', ['resource', 'provider', 'trait', 'set', '--trait', 'COMPUTE_RESCUE_BFV', '--trait', 'CUSTOM_CLI', uuid])
    assert.deepEqual(set.map((t) => t.name).sort(), ['COMPUTE_RESCUE_BFV', 'CUSTOM_CLI'])
    const list = await openstackJson<Array<{ name: string }>>(cloud, 'lifeboat-admin', ['resource', 'provider', 'trait', 'list', uuid])
    assert.deepEqual(list.map((t) => t.name).sort(), ['COMPUTE_RESCUE_BFV', 'CUSTOM_CLI'])
  })

  test('allocation candidate list --resource VCPU=1 (with a required trait)', async () => {
    const all = await openstackJson<Array<Record<string, unknown>>>(cloud, 'lifeboat-admin', ['allocation', 'candidate', 'list', '--resource', 'VCPU=1'])
    assert.ok(all.some((c) => c['resource provider'] === uuid))
    const bfv = await openstackJson<Array<Record<string, unknown>>>(cloud, 'lifeboat-admin', [
      '--os-placement-api-version', '1.17', 'allocation', 'candidate', 'list', '--resource', 'VCPU=1', '--required', 'CUSTOM_CLI',
    ])
    assert.equal(bfv.length, 1)
    assert.equal(bfv[0]!['resource provider'], uuid)
  })

  test('resource provider usage show and delete; the demo user is refused with 403', async () => {
    const usage = await openstackJson<Array<{ resource_class: string; usage: number }>>(cloud, 'lifeboat-admin', ['resource', 'provider', 'usage', 'show', uuid])
    assert.deepEqual(usage.map((u) => [u.resource_class, u.usage]).sort(), [['MEMORY_MB', 0], ['VCPU', 0]])
    const demo = await openstack(cloud, 'lifeboat-demo', ['resource', 'provider', 'list'])
    assert.notEqual(demo.code, 0)
    assert.match(demo.stderr, /HTTP 403|Forbidden|Policy does not allow/i)
    const del = await openstack(cloud, 'lifeboat-admin', ['resource', 'provider', 'delete', uuid])
    assert.equal(del.code, 0, del.stderr)
  })
})
