import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { createImage } from './image-helpers.js'

describeEachDialect('image members', (cloud) => {
  test('an owner shares an image; the member sees it, accepts it, and then finds it in its list', async () => {
    const { admin, demo } = cloud()
    const image = await createImage(admin, { name: 'for-demo', visibility: 'shared' })
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).status, 404)
    const added = await admin.request('POST', `/image/v2/images/${image.id}/members`, { body: { member: demo.projectId } })
    assert.equal(added.status, 200)
    assert.deepEqual(Object.keys(added.body).sort(), ['created_at', 'image_id', 'member_id', 'schema', 'status', 'updated_at'])
    assert.equal(added.body.status, 'pending')
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).status, 200)
    const listed = async () => (await demo.request('GET', '/image/v2/images?limit=1000')).body.images.map((i: any) => i.id)
    assert.ok(!(await listed()).includes(image.id), 'pending shares stay out of the default list')
    const pending = await demo.request('GET', '/image/v2/images?member_status=pending')
    assert.ok(pending.body.images.some((i: any) => i.id === image.id))
    const accepted = await demo.request('PUT', `/image/v2/images/${image.id}/members/${demo.projectId}`, { body: { status: 'accepted' } })
    assert.equal(accepted.status, 200)
    assert.equal(accepted.body.status, 'accepted')
    assert.ok((await listed()).includes(image.id))
    const members = await admin.request('GET', `/image/v2/images/${image.id}/members`)
    assert.deepEqual(members.body.members.map((m: any) => [m.member_id, m.status]), [[demo.projectId, 'accepted']])
    assert.equal(members.body.schema, '/v2/schemas/members')
  })

  test('a member may not share further or delete; the owner removes it and access ends', async () => {
    const { admin, demo } = cloud()
    const image = await createImage(admin, { name: 'revocable', visibility: 'shared' })
    await admin.request('POST', `/image/v2/images/${image.id}/members`, { body: { member: demo.projectId } })
    const further = await demo.request('POST', `/image/v2/images/${image.id}/members`, { body: { member: 'someone-else' } })
    assert.equal(further.status, 403)
    assert.equal((await demo.request('DELETE', `/image/v2/images/${image.id}`)).status, 403)
    const dup = await admin.request('POST', `/image/v2/images/${image.id}/members`, { body: { member: demo.projectId } })
    assert.equal(dup.status, 409)
    assert.equal((await admin.request('DELETE', `/image/v2/images/${image.id}/members/${demo.projectId}`)).status, 204)
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).status, 404)
  })

  test('only shared images have members; bad status is 400', async () => {
    const { admin } = cloud()
    const priv = await createImage(admin, { name: 'private-one', visibility: 'private' })
    const res = await admin.request('GET', `/image/v2/images/${priv.id}/members`)
    assert.equal(res.status, 403)
    assert.equal(res.body.message, 'Only shared images have members.')
    const shared = await createImage(admin, { name: 'shared-one', visibility: 'shared' })
    await admin.request('POST', `/image/v2/images/${shared.id}/members`, { body: { member: 'p1' } })
    const bad = await admin.request('PUT', `/image/v2/images/${shared.id}/members/p1`, { body: { status: 'maybe' } })
    assert.equal(bad.status, 400)
  })
})
