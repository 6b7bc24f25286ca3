import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'

const ADMIN = 'lifeboat-admin'

describe('openstack CLI: host aggregates and availability zones', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  let host: string
  before(async () => {
    cloud = await startTestCloud('sqlite')
    const services = await cloud.admin.request('GET', '/compute/v2.1/os-services?binary=nova-compute')
    host = services.body.services[0].host
  })
  after(async () => {
    await cloud?.close()
  })

  test('aggregate create --zone, add host, set --property, show; availability zone list --long; remove host, delete', async () => {
    const made = await openstackJson(cloud, ADMIN, ['aggregate', 'create', '--zone', 'cli-zone', 'cli-agg'])
    assert.equal(made.name, 'cli-agg')
    assert.equal(made.availability_zone, 'cli-zone')
    const added = await openstack(cloud, ADMIN, ['aggregate', 'add', 'host', 'cli-agg', host])
    assert.equal(added.code, 0, added.stderr)
    const set = await openstack(cloud, ADMIN, ['aggregate', 'set', '--property', 'ssd=true', 'cli-agg'])
    assert.equal(set.code, 0, set.stderr)
    const shown = await openstackJson(cloud, ADMIN, ['aggregate', 'show', 'cli-agg'])
    assert.match(JSON.stringify(shown.properties), /ssd/)
    assert.deepEqual(shown.hosts, [host])

    const zones = await openstackJson<Array<Record<string, string>>>(cloud, ADMIN, ['availability', 'zone', 'list', '--long', '--compute'])
    const mine = zones.filter((z) => z['Zone Name'] === 'cli-zone')
    assert.ok(mine.some((z) => z['Host Name'] === host), JSON.stringify(zones))

    assert.equal((await openstack(cloud, ADMIN, ['aggregate', 'remove', 'host', 'cli-agg', host])).code, 0)
    const del = await openstack(cloud, ADMIN, ['aggregate', 'delete', 'cli-agg'])
    assert.equal(del.code, 0, del.stderr)
    assert.deepEqual(await openstackJson(cloud, ADMIN, ['aggregate', 'list']), [])
  })
})
