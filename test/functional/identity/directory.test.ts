import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'

describeEachDialect('identity directory', (cloud) => {
  test('admin creates a project, a user and a member role assignment; the user gets a token', async () => {
    const admin = cloud().admin
    const project = await admin.request('POST', '/identity/v3/projects', { body: { project: { name: 'team-a', description: 'A team' } } })
    assert.equal(project.status, 201)
    assert.equal(project.body.project.domain_id, 'default')
    const user = await admin.request('POST', '/identity/v3/users', { body: { user: { name: 'alice', password: 'alice-pw', default_project_id: project.body.project.id } } })
    assert.equal(user.status, 201)
    assert.equal(user.body.user.password, undefined)
    assert.equal(user.body.user.password_hash, undefined)
    const roles = await admin.request('GET', '/identity/v3/roles?name=member')
    assert.equal(roles.body.roles.length, 1)
    const grant = await admin.request('PUT', `/identity/v3/projects/${project.body.project.id}/users/${user.body.user.id}/roles/${roles.body.roles[0].id}`)
    assert.equal(grant.status, 204)
    const alice = await cloud().login('alice', 'alice-pw', 'team-a')
    assert.equal(alice.projectId, project.body.project.id)
    const assignments = await admin.request('GET', `/identity/v3/role_assignments?user.id=${user.body.user.id}&include_names=1`)
    assert.equal(assignments.status, 200)
    assert.deepEqual(assignments.body.role_assignments.map((a: any) => [a.user.name, a.scope.project.name, a.role.name]), [['alice', 'team-a', 'member']])
  })

  test('a duplicate project name is 409 and creates nothing', async () => {
    const admin = cloud().admin
    const before = await admin.request('GET', '/identity/v3/projects')
    const res = await admin.request('POST', '/identity/v3/projects', { body: { project: { name: 'demo' } } })
    assert.equal(res.status, 409)
    assert.equal(res.body.error.code, 409)
    const afterList = await admin.request('GET', '/identity/v3/projects')
    assert.equal(afterList.body.projects.length, before.body.projects.length)
  })

  test('the demo user is refused admin calls with 403 and nothing changes', async () => {
    const demo = cloud().demo
    const create = await demo.request('POST', '/identity/v3/projects', { body: { project: { name: 'sneaky' } } })
    assert.equal(create.status, 403)
    assert.equal(create.body.error.title, 'Forbidden')
    const list = await demo.request('GET', '/identity/v3/users')
    assert.equal(list.status, 403)
    const projects = await cloud().admin.request('GET', '/identity/v3/projects?name=sneaky')
    assert.deepEqual(projects.body.projects, [])
  })

  test('the demo user sees its own projects and its own user', async () => {
    const demo = cloud().demo
    const mine = await demo.request('GET', `/identity/v3/users/${demo.userId}/projects`)
    assert.equal(mine.status, 200)
    assert.deepEqual(mine.body.projects.map((p: any) => p.name), ['demo'])
    const me = await demo.request('GET', `/identity/v3/users/${demo.userId}`)
    assert.equal(me.body.user.name, 'demo')
  })

  test('revoking a role assignment ends access to the project', async () => {
    const admin = cloud().admin
    const project = (await admin.request('POST', '/identity/v3/projects', { body: { project: { name: 'team-b' } } })).body.project
    const user = (await admin.request('POST', '/identity/v3/users', { body: { user: { name: 'bob', password: 'bob-pw' } } })).body.user
    const role = (await admin.request('GET', '/identity/v3/roles?name=reader')).body.roles[0]
    await admin.request('PUT', `/identity/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`)
    const bob = await cloud().login('bob', 'bob-pw', 'team-b')
    const del = await admin.request('DELETE', `/identity/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`)
    assert.equal(del.status, 204)
    const res = await bob.request('GET', '/identity/v3/auth/projects')
    assert.equal(res.status, 401)
  })

  test('unknown project, user and role are 404', async () => {
    const admin = cloud().admin
    assert.equal((await admin.request('GET', '/identity/v3/projects/nope')).status, 404)
    assert.equal((await admin.request('GET', '/identity/v3/users/nope')).status, 404)
    const role = await admin.request('GET', '/identity/v3/roles/nope')
    assert.equal(role.status, 404)
    assert.equal(role.body.error.message, 'Could not find role: nope.')
  })
})
