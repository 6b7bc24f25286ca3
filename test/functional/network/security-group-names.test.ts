import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, waitForDeleted } from '../../helpers/compute.js'
import { NET } from './network-helpers.js'

const SERVERS = '/compute/v2.1/servers'

describeEachDialect('security group names: repeated as in Neutron, only default is one per project', (cloud) => {
  let imageRef = ''
  before(async () => {
    imageRef = await createImage(cloud().admin)
  })

  test('Neutron creates and renames to a name already taken; `default` stays unique; Nova\'s os-security-groups still refuses a taken name', async () => {
    const demo = cloud().demo
    const create = (name: string) => demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name } } })
    const first = await create('twin')
    const second = await create('twin')
    assert.deepEqual([first.status, second.status], [201, 201])
    assert.notEqual(first.body.security_group.id, second.body.security_group.id)
    const other = await create('other')
    const renamed = await demo.request('PUT', `${NET}/security-groups/${other.body.security_group.id}`, { body: { security_group: { name: 'twin' } } })
    assert.equal(renamed.status, 200, renamed.text)
    const twins = (await demo.request('GET', `${NET}/security-groups?name=twin`)).body.security_groups
    assert.equal(twins.length, 3)
    assert.equal((await create('default')).status, 409)
    const defaults = (await demo.request('GET', `${NET}/security-groups?name=default`)).body.security_groups
    assert.equal(defaults.length, 1)
    const nova = await demo.request('POST', '/compute/v2.1/os-security-groups', { body: { security_group: { name: 'twin', description: '' } } })
    assert.equal(nova.status, 400)
    assert.equal(nova.body.badRequest.message, `Security group twin already exists for project ${demo.projectId}.`)
  })

  test('Nova refuses to guess between groups of one name: boot and addSecurityGroup answer 409; an id or a unique name works', async () => {
    const demo = cloud().demo
    const boot = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'ambiguous', security_groups: [{ name: 'twin' }] } } })
    assert.equal(boot.status, 409, boot.text)
    assert.equal(boot.body.conflictingRequest.message, "Multiple security groups found matching 'twin'. Use an ID to be more specific.")
    const unique = (await demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'single' } } })).body.security_group
    const server = await bootServer(demo, { imageRef, name: 'grouped', security_groups: [{ name: 'single' }] })
    const add = await action(demo, server.id, { addSecurityGroup: { name: 'twin' } })
    assert.equal(add.status, 409, add.text)
    assert.equal(add.body.conflictingRequest.message, "Multiple security_group matches found for name 'twin', use an ID to be more specific.")
    const twinId = (await demo.request('GET', `${NET}/security-groups?name=twin`)).body.security_groups[0].id
    assert.equal((await action(demo, server.id, { addSecurityGroup: { name: twinId } })).status, 202)
    assert.ok(unique.id)
    await demo.request('DELETE', `${SERVERS}/${server.id}`)
    await waitForDeleted(demo, server.id)
  })
})
