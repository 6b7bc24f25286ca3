import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { createImage } from '../helpers/compute.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'
import { waitUntil } from '../helpers/wait-until.js'

const DEMO = 'lifeboat-demo'

describe('openstack CLI: server groups and their quotas', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  before(async () => {
    cloud = await startTestCloud('sqlite')
    await createImage(cloud.admin, { name: 'sg-img' })
  })
  after(async () => {
    await cloud?.close()
  })

  test('server group create (policy, rule), list, show; a server booted with --hint group= is a member; delete', async () => {
    const anti = await openstackJson(cloud, DEMO, ['server', 'group', 'create', '--policy', 'anti-affinity', 'cli-anti'])
    assert.equal(anti.name, 'cli-anti')
    assert.match(JSON.stringify(anti), /anti-affinity/)
    const ruled = await openstackJson(cloud, DEMO, ['--os-compute-api-version', '2.64', 'server', 'group', 'create', '--policy', 'anti-affinity', '--rule', 'max_server_per_host=2', 'cli-two'])
    assert.match(JSON.stringify(ruled), /max_server_per_host/)
    const list = await openstackJson<Array<{ Name: string }>>(cloud, DEMO, ['server', 'group', 'list'])
    assert.deepEqual(list.map((g) => g.Name).sort(), ['cli-anti', 'cli-two'])

    const server = await openstackJson(cloud, DEMO, ['server', 'create', '--image', 'sg-img', '--flavor', '1', '--hint', `group=${anti.id}`, '--wait', 'sg-vm'])
    assert.equal(server.status, 'ACTIVE')
    const shown = await openstackJson(cloud, DEMO, ['server', 'group', 'show', 'cli-anti'])
    assert.match(JSON.stringify(shown.members), new RegExp(server.id))
    // A second member has nowhere to go on the one host.
    await openstack(cloud, DEMO, ['server', 'create', '--image', 'sg-img', '--flavor', '1', '--hint', `group=${anti.id}`, 'sg-vm-2'])
    await waitUntil(async () => (await openstackJson(cloud, DEMO, ['server', 'show', 'sg-vm-2'])).status === 'ERROR', { timeoutMs: 30_000, intervalMs: 300, what: 'sg-vm-2 did not fail' })

    for (const name of ['sg-vm', 'sg-vm-2']) assert.equal((await openstack(cloud, DEMO, ['server', 'delete', '--wait', name])).code, 0)
    const del = await openstack(cloud, DEMO, ['server', 'group', 'delete', 'cli-anti', 'cli-two'])
    assert.equal(del.code, 0, del.stderr)
    assert.deepEqual(await openstackJson(cloud, DEMO, ['server', 'group', 'list']), [])
  })

  test('quota set --server-groups; a create over it fails with Nova\'s words', async () => {
    const project = cloud.demo.projectId
    const set = await openstack(cloud, 'lifeboat-admin', ['quota', 'set', '--server-groups', '1', '--server-group-members', '3', project])
    assert.equal(set.code, 0, set.stderr)
    const shown = await openstackJson<Record<string, unknown>>(cloud, 'lifeboat-admin', ['quota', 'show', project])
    assert.equal(shown['server-groups'], 1)
    assert.equal(shown['server-group-members'], 3)
    assert.equal((await openstack(cloud, DEMO, ['server', 'group', 'create', '--policy', 'affinity', 'first'])).code, 0)
    const refused = await openstack(cloud, DEMO, ['server', 'group', 'create', '--policy', 'affinity', 'second'])
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /Quota exceeded, too many server groups/)
  })
})
