import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'

describe('openstack CLI: quota show and set', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  before(async () => {
    cloud = await startTestCloud('sqlite')
  })
  after(async () => {
    await cloud?.close()
  })

  test('quota set --instances --volumes, then quota show reads them back; a member may not set', async () => {
    const project = cloud.demo.projectId
    const set = await openstack(cloud, 'lifeboat-admin', ['quota', 'set', '--instances', '7', '--cores', '30', '--volumes', '4', project])
    assert.equal(set.code, 0, set.stderr)
    const shown = await openstackJson<Record<string, unknown>>(cloud, 'lifeboat-admin', ['quota', 'show', project])
    assert.equal(shown.instances, 7)
    assert.equal(shown.cores, 30)
    assert.equal(shown.volumes, 4)
    assert.equal(shown.ram, 51200)
    const demo = await openstack(cloud, 'lifeboat-demo', ['quota', 'set', '--instances', '99', project])
    assert.notEqual(demo.code, 0)
    const limits = await openstackJson<Array<{ Name: string; Value: number }>>(cloud, 'lifeboat-demo', ['limits', 'show', '--absolute'])
    assert.equal(limits.find((l) => l.Name === 'maxTotalInstances')?.Value, 7)
  })
})
