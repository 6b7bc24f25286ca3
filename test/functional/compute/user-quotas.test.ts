import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { createImage, waitForDeleted, waitForStatus } from '../../helpers/compute.js'

const C = '/compute/v2.1'

describeEachDialect('compute server group quotas and per-user quotas', (cloud) => {
  let imageId = ''
  const quotaUrl = (userId?: string) => `${C}/os-quota-sets/${cloud().demo.projectId}${userId ? `?user_id=${userId}` : ''}`
  const setQuota = (values: Record<string, unknown>, userId?: string) => cloud().admin.request('PUT', quotaUrl(userId), { body: { quota_set: values } })
  const detail = async (userId?: string) => (await cloud().demo.request('GET', `${C}/os-quota-sets/${cloud().demo.projectId}/detail${userId ? `?user_id=${userId}` : ''}`)).body.quota_set
  const createGroup = (name: string) => cloud().demo.request('POST', `${C}/os-server-groups`, { body: { server_group: { name, policies: ['affinity'] } } })
  const boot = (extra: Record<string, unknown> = {}) =>
    cloud().demo.request('POST', `${C}/servers`, { body: { server: { flavorRef: '1', name: 'q', imageRef: imageId }, ...extra } })
  const serverCount = async () => (await cloud().demo.request('GET', `${C}/servers`)).body.servers.length

  test('server_groups: counted in quota detail and limits, and refused over the quota with Nova\'s words', async () => {
    const first = await createGroup('one')
    assert.equal(first.status, 200, first.text)
    assert.deepEqual((await detail()).server_groups, { limit: 10, in_use: 1, reserved: 0 })
    const limits = (await cloud().demo.request('GET', `${C}/limits`)).body.limits.absolute
    assert.equal(limits.maxServerGroups, 10)
    assert.equal(limits.maxServerGroupMembers, 10)
    assert.equal(limits.totalServerGroupsUsed, 1)

    const below = await setQuota({ server_groups: 0 })
    assert.equal(below.status, 400)
    assert.equal(below.body.badRequest.message, 'Quota limit 0 for server_groups must be greater than or equal to already used and reserved 1.')
    assert.equal((await setQuota({ server_groups: 1 })).status, 200)
    const refused = await createGroup('two')
    assert.equal(refused.status, 403)
    assert.deepEqual(refused.body, { forbidden: { code: 403, message: 'Quota exceeded, too many server groups.' } })
    assert.equal((await cloud().demo.request('GET', `${C}/os-server-groups`)).body.server_groups.length, 1)
    // The user's own limit counts the groups the user made.
    await setQuota({ server_groups: -1 })
    await setQuota({ server_groups: 1 }, cloud().demo.userId)
    assert.equal((await createGroup('three')).status, 403)
    await cloud().admin.request('DELETE', quotaUrl())
    assert.equal((await cloud().demo.request('DELETE', `${C}/os-server-groups/${first.body.server_group.id}`)).status, 204)
    assert.equal((await detail()).server_groups.in_use, 0)
  })

  test('server_group_members: a boot that would pass it is 403 with Nova\'s words and creates nothing', async () => {
    imageId = await createImage(cloud().admin)
    const group = (await createGroup('members')).body.server_group
    await setQuota({ server_group_members: 1 })
    const hint = { 'os:scheduler_hints': { group: group.id } }
    const ok = await boot(hint)
    assert.equal(ok.status, 202, ok.text)
    await waitForStatus(cloud().demo, ok.body.server.id, 'ACTIVE')
    const before = await serverCount()
    const refused = await boot(hint)
    assert.equal(refused.status, 403)
    assert.equal(refused.body.forbidden.message, 'Quota exceeded, too many servers in group')
    const many = await boot({ ...hint, server: { flavorRef: '1', name: 'q', imageRef: imageId, min_count: 1, max_count: 3 } })
    assert.equal(many.status, 403)
    assert.equal(await serverCount(), before)
    // Nova shows no usage for this per-group quota.
    assert.deepEqual((await detail()).server_group_members, { limit: 1, in_use: 0, reserved: 0 })
    await cloud().demo.request('DELETE', `${C}/servers/${ok.body.server.id}`)
    await waitForDeleted(cloud().demo, ok.body.server.id)
    // A deleted member frees its place.
    const again = await boot(hint)
    assert.equal(again.status, 202, again.text)
    await waitForStatus(cloud().demo, again.body.server.id, 'ACTIVE')
    await cloud().demo.request('DELETE', `${C}/servers/${again.body.server.id}`)
    await waitForDeleted(cloud().demo, again.body.server.id)
    await cloud().demo.request('DELETE', `${C}/os-server-groups/${group.id}`)
    await cloud().admin.request('DELETE', quotaUrl())
  })

  test('per-user quotas: admins show, set and delete them with user_id; limits stay within the project\'s (Nova\'s texts)', async () => {
    const { demo, admin } = cloud()
    const userId = demo.userId
    const set = await setQuota({ instances: 4, key_pairs: 7 }, userId)
    assert.equal(set.status, 200, set.text)
    assert.equal(set.body.quota_set.id, undefined)
    assert.equal(set.body.quota_set.instances, 4)
    assert.equal(set.body.quota_set.cores, 20)
    const userShow = await demo.request('GET', quotaUrl(userId))
    assert.equal(userShow.status, 200)
    assert.equal(userShow.body.quota_set.id, demo.projectId)
    assert.equal(userShow.body.quota_set.instances, 4)
    assert.equal(userShow.body.quota_set.key_pairs, 7)
    assert.equal((await demo.request('GET', quotaUrl())).body.quota_set.instances, 10)
    // `?user_id=` with no value names no user, as Nova's parse_qs.
    assert.equal((await demo.request('GET', `${C}/os-quota-sets/${demo.projectId}?user_id=`)).body.quota_set.instances, 10)

    const above = await setQuota({ instances: 11 }, userId)
    assert.equal(above.status, 400)
    assert.equal(above.body.badRequest.message, 'Quota limit 11 for instances must be less than or equal to 10.')
    // Another user may get only what the project has not given out.
    const other = 'b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7'
    const rest = await setQuota({ instances: 7 }, other)
    assert.equal(rest.body.badRequest.message, 'Quota limit 7 for instances must be less than or equal to 6.')
    assert.equal((await setQuota({ instances: 6 }, other)).status, 200)
    // The project's limit can't drop below what its users' limits add up to.
    const project = await setQuota({ instances: 9 })
    assert.equal(project.body.badRequest.message, 'Quota limit 9 for instances must be greater than or equal to already used and reserved 10.')
    assert.equal((await setQuota({ instances: 9, force: true })).status, 200)
    await setQuota({ instances: 10 })

    // Members may read but not change.
    assert.equal((await demo.request('PUT', quotaUrl(userId), { body: { quota_set: { instances: 9 } } })).status, 403)
    assert.equal((await demo.request('DELETE', quotaUrl(userId))).status, 403)
    assert.equal((await demo.request('GET', `${C}/os-quota-sets/${demo.projectId}?user_id=${userId}&colour=red`, { microversion: '2.75' })).status, 400)
    assert.equal((await setQuota({ instances: 1 }, 'u'.repeat(256))).status, 400)

    assert.equal((await admin.request('DELETE', quotaUrl(other))).status, 202)
    assert.equal((await demo.request('GET', quotaUrl(other))).body.quota_set.instances, 10)
    assert.equal((await demo.request('GET', quotaUrl(userId))).body.quota_set.instances, 4)
    // Deleting the project's quotas takes its users' along (Nova's destroy_all_by_project).
    assert.equal((await admin.request('DELETE', quotaUrl())).status, 202)
    assert.equal((await demo.request('GET', quotaUrl(userId))).body.quota_set.instances, 10)
  })

  test('per-user quotas are enforced on boots (the user\'s figures in the refusal) and key pairs; detail counts the user\'s usage', async () => {
    const { demo, admin } = cloud()
    const userId = demo.userId
    // Another user of the project with a server of their own: project usage, not the demo user's.
    const roles = (await admin.request('GET', '/identity/v3/roles?name=member')).body.roles
    const user = (await admin.request('POST', '/identity/v3/users', { body: { user: { name: 'quota-peer', password: 'pw-peer' } } })).body.user
    await admin.request('PUT', `/identity/v3/projects/${demo.projectId}/users/${user.id}/roles/${roles[0].id}`)
    const peer = await cloud().login('quota-peer', 'pw-peer', 'demo')
    const theirs = await peer.request('POST', `${C}/servers`, { body: { server: { flavorRef: '1', name: 'peer', imageRef: imageId } } })
    assert.equal(theirs.status, 202, theirs.text)
    await waitForStatus(peer, theirs.body.server.id, 'ACTIVE')
    const own = await boot()
    await waitForStatus(demo, own.body.server.id, 'ACTIVE')

    const project = await detail()
    const mine = await detail(userId)
    assert.equal(project.instances.in_use, mine.instances.in_use + 1)
    assert.equal(mine.instances.limit, 10)
    assert.equal((await setQuota({ instances: mine.instances.in_use - 1 }, userId)).body.badRequest.message,
      `Quota limit ${mine.instances.in_use - 1} for instances must be greater than or equal to already used and reserved ${mine.instances.in_use}.`)
    assert.equal((await setQuota({ instances: mine.instances.in_use + 1 }, userId)).status, 200)
    const fits = await boot()
    assert.equal(fits.status, 202, fits.text)
    await waitForStatus(demo, fits.body.server.id, 'ACTIVE')
    const used = mine.instances.in_use + 1
    const refused = await boot()
    assert.equal(refused.status, 403)
    assert.equal(refused.body.forbidden.message, `Quota exceeded for instances: Requested 1, but already used ${used} of ${used} instances`)
    // The peer has no limit of their own: only the project's applies.
    const peerBoot = await peer.request('POST', `${C}/servers`, { body: { server: { flavorRef: '1', name: 'peer-2', imageRef: imageId } } })
    assert.equal(peerBoot.status, 202, peerBoot.text)
    await waitForStatus(peer, peerBoot.body.server.id, 'ACTIVE')
    assert.equal((await detail(userId)).instances.in_use, used)

    await setQuota({ key_pairs: 0 }, userId)
    const key = await demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'over' } } })
    assert.equal(key.status, 403)
    assert.equal(key.body.forbidden.message, 'Quota exceeded, too many key pairs.')
    assert.equal((await peer.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'fine' } } })).status, 200)
    await admin.request('DELETE', quotaUrl(userId))
    assert.equal((await demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'over' } } })).status, 200)
    const last = await boot()
    assert.equal(last.status, 202, last.text)
    await waitForStatus(demo, last.body.server.id, 'ACTIVE')
  })
})
