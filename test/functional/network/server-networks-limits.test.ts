import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { before, test } from 'node:test'
import { describeEachDialect, login, type TestCloud } from '../../helpers/cloud.js'
import { bootServer, createImage, waitForDeleted, waitForStatus } from '../../helpers/compute.js'
import { NET } from './network-helpers.js'

const SERVERS = '/compute/v2.1/servers'

/** The NICs of the spec the fake driver last ran the server with. */
function recordedNics(cloud: TestCloud, id: string): any[] {
  const file = path.join(cloud.running.config.dataDir, 'agent', 'fake-domains', `${id}.json`)
  return JSON.parse(fs.readFileSync(file, 'utf8')).spec.nics
}

describeEachDialect('Nova with the network service: the port quota at boot, external networks on auto-pick', (cloud) => {
  let imageRef = ''
  let publicId = ''
  before(async () => {
    imageRef = await createImage(cloud().admin)
    publicId = (await cloud().admin.request('GET', `${NET}/networks?name=public`)).body.networks[0].id
  })

  test('port quota (validate_networks): 403 below min_count, max_count cut to the free ports, a boot needing no port passes', async () => {
    const { admin, demo } = cloud()
    const used = (await demo.request('GET', `${NET}/quotas/${demo.projectId}/details`)).body.quota.port.used as number
    try {
      await admin.request('PUT', `${NET}/quotas/${demo.projectId}`, { body: { quota: { port: used } } })
      const full = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'no-port' } } })
      assert.equal(full.status, 403, full.text)
      assert.equal(full.body.forbidden.message, 'Maximum number of ports exceeded')
      const none = await bootServer(demo, { imageRef, name: 'no-nic', networks: 'none' }, '2.37')
      assert.deepEqual(none.addresses, {})

      await admin.request('PUT', `${NET}/quotas/${demo.projectId}`, { body: { quota: { port: used + 1 } } })
      const some = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'cut', min_count: 1, max_count: 3 } } })
      assert.equal(some.status, 202, some.text)
      const made = (await demo.request('GET', `${SERVERS}?name=^cut`)).body.servers as Array<{ id: string }>
      assert.equal(made.length, 1, 'max_count is cut to the one free port')
      await waitForStatus(demo, made[0]!.id, 'ACTIVE')
      const two = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'two', min_count: 2 } } })
      assert.equal(two.status, 403)

      await admin.request('PUT', `${NET}/quotas/${demo.projectId}`, { body: { quota: { port: used - 1 } } })
      const over = await demo.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'over' } } })
      assert.equal(over.status, 403)
      assert.equal(over.body.forbidden.message, `The number of defined ports: ${used + 1} is over the limit: ${used - 1}`)
      for (const server of [none, made[0]!]) {
        await demo.request('DELETE', `${SERVERS}/${server.id}`)
        await waitForDeleted(demo, server.id)
      }
    } finally {
      await admin.request('DELETE', `${NET}/quotas/${demo.projectId}`)
    }
  })

  test('a project whose one network is the external public: an admin boot gets a NIC on it (as Nova), a member\'s is a 400', async () => {
    const { admin } = cloud()
    const server = await bootServer(admin, { imageRef, name: 'admin-auto' })
    const nics = recordedNics(cloud(), server.id)
    assert.equal(nics.length, 1)
    assert.equal(nics[0].networkId, publicId)
    assert.match(nics[0].ip, /^127\.42\.0\.\d+$/)
    assert.deepEqual(Object.keys(server.addresses), ['public'])
    await admin.request('DELETE', `${SERVERS}/${server.id}`)
    await waitForDeleted(admin, server.id)

    const role = (await admin.request('GET', '/identity/v3/roles?name=member')).body.roles[0]
    const user = (await admin.request('POST', '/identity/v3/users', { body: { user: { name: 'admin-project-member', password: 'pw-member' } } })).body.user
    await admin.request('PUT', `/identity/v3/projects/${admin.projectId}/users/${user.id}/roles/${role.id}`)
    const member = await login(cloud().running.url, 'admin-project-member', 'pw-member', 'admin')
    const res = await member.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'member-auto' } } })
    assert.equal(res.status, 400, res.text)
    assert.equal(res.body.badRequest.message, `It is not allowed to create an interface on external network ${publicId}`)
    const explicit = await member.request('POST', SERVERS, { body: { server: { imageRef, flavorRef: '1', name: 'member-public', networks: [{ uuid: publicId }] } } })
    assert.equal(explicit.status, 400)
  })
})
