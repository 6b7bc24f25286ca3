import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect, ADMIN_PASSWORD } from '../../helpers/cloud.js'
import { hashToken } from '../../../src/services/identity/tokens.js'

const passwordAuth = (user: object, scope?: unknown) => ({
  auth: { identity: { methods: ['password'], password: { user } }, ...(scope === undefined ? {} : { scope }) },
})

describeEachDialect('identity tokens', (cloud) => {
  test('version documents are served at /identity and /identity/v3', async () => {
    const root = await cloud().request('GET', '/identity/')
    assert.equal(root.status, 300)
    assert.equal(root.body.versions.values[0].id, 'v3.14')
    const v3 = await cloud().request('GET', '/identity/v3')
    assert.equal(v3.status, 200)
    assert.equal(v3.body.version.links[0].href, `${cloud().url}/identity/v3/`)
  })

  test('a password token by user name is scoped, carries roles and the whole catalog', async () => {
    const res = await cloud().request('POST', '/identity/v3/auth/tokens', {
      body: passwordAuth({ name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD }, { project: { name: 'admin', domain: { id: 'default' } } }),
    })
    assert.equal(res.status, 201)
    assert.match(res.headers.get('x-subject-token') ?? '', /^[A-Za-z0-9_-]{40,}$/)
    assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/)
    const token = res.body.token
    assert.match(token.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    assert.deepEqual(token.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader'])
    assert.equal(token.project.name, 'admin')
    assert.deepEqual(token.project.domain, { id: 'default', name: 'Default' })
    const types = token.catalog.map((c: { type: string }) => c.type).sort()
    assert.deepEqual(types, ['block-storage', 'compute', 'identity', 'image', 'network', 'placement', 'volumev3'])
    const volume = token.catalog.find((c: { type: string }) => c.type === 'volumev3')
    assert.deepEqual(volume.endpoints.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public'])
    assert.equal(volume.endpoints[0].url, `${cloud().url}/volume/v3/${token.project.id}`)
    assert.equal(volume.endpoints[0].region, 'RegionOne')
  })

  test('the raw token is never stored, only its hash', async () => {
    const token = cloud().admin.token
    const rows = await cloud().running.database.db.selectFrom('tokens').select('id_hash').execute()
    assert.ok(rows.some((r) => r.id_hash === hashToken(token)))
    assert.ok(!rows.some((r) => r.id_hash === token))
  })

  test('a token by user id without scope uses the default project; "unscoped" has none', async () => {
    const byId = await cloud().request('POST', '/identity/v3/auth/tokens', { body: passwordAuth({ id: cloud().demo.userId, password: 'demo-secret-pw' }) })
    assert.equal(byId.status, 201)
    assert.equal(byId.body.token.project.name, 'demo')
    const unscoped = await cloud().request('POST', '/identity/v3/auth/tokens', { body: passwordAuth({ id: cloud().demo.userId, password: 'demo-secret-pw' }, 'unscoped') })
    assert.equal(unscoped.status, 201)
    assert.equal(unscoped.body.token.project, undefined)
    assert.deepEqual(unscoped.body.token.catalog, [])
  })

  test('the token method rescopes and keeps the original expiry', async () => {
    const first = await cloud().request('POST', '/identity/v3/auth/tokens', { body: passwordAuth({ id: cloud().demo.userId, password: 'demo-secret-pw' }, 'unscoped') })
    const res = await cloud().request('POST', '/identity/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: first.headers.get('x-subject-token') } }, scope: { project: { id: cloud().demo.projectId } } } },
    })
    assert.equal(res.status, 201)
    assert.equal(res.body.token.project.id, cloud().demo.projectId)
    assert.deepEqual(res.body.token.methods, ['token'])
    assert.equal(res.body.token.expires_at, first.body.token.expires_at)
  })

  test('a wrong password is 401 in Keystone\'s envelope', async () => {
    const res = await cloud().request('POST', '/identity/v3/auth/tokens', { body: passwordAuth({ name: 'admin', domain: { id: 'default' }, password: 'nope' }) })
    assert.equal(res.status, 401)
    assert.match(res.headers.get('content-type') ?? '', /application\/json/)
    assert.deepEqual(res.body, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } })
  })

  test('a user without a role in the project gets 401 for that scope', async () => {
    const res = await cloud().request('POST', '/identity/v3/auth/tokens', {
      body: passwordAuth({ name: 'demo', domain: { id: 'default' }, password: 'demo-secret-pw' }, { project: { name: 'admin', domain: { id: 'default' } } }),
    })
    assert.equal(res.status, 401)
  })

  test('malformed JSON is 400 and a body against the schema is 400', async () => {
    const bad = await cloud().request('POST', '/identity/v3/auth/tokens', { rawBody: '{"auth": ', contentType: 'application/json' })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error.code, 400)
    const wrong = await cloud().request('POST', '/identity/v3/auth/tokens', { body: { auth: { identity: {} } } })
    assert.equal(wrong.status, 400)
    assert.equal(wrong.body.error.title, 'Bad Request')
  })

  test('GET and HEAD validate a token; DELETE revokes it and it stops working', async () => {
    const fresh = await cloud().login('demo', 'demo-secret-pw', 'demo')
    const got = await cloud().admin.request('GET', '/identity/v3/auth/tokens', { headers: { 'x-subject-token': fresh.token } })
    assert.equal(got.status, 200)
    assert.equal(got.body.token.user.name, 'demo')
    const head = await fresh.request('HEAD', '/identity/v3/auth/tokens', { headers: { 'x-subject-token': fresh.token } })
    assert.equal(head.status, 200)
    const del = await fresh.request('DELETE', '/identity/v3/auth/tokens', { headers: { 'x-subject-token': fresh.token } })
    assert.equal(del.status, 204)
    const after = await fresh.request('GET', '/identity/v3/auth/projects')
    assert.equal(after.status, 401)
    const check = await cloud().admin.request('GET', '/identity/v3/auth/tokens', { headers: { 'x-subject-token': fresh.token } })
    assert.equal(check.status, 404)
  })

  test('a missing or unknown token is 401; an expired one too', async () => {
    assert.equal((await cloud().request('GET', '/identity/v3/projects')).status, 401)
    assert.equal((await cloud().request('GET', '/identity/v3/projects', { token: 'not-a-token' })).status, 401)
    const fresh = await cloud().login('demo', 'demo-secret-pw', 'demo')
    await cloud().running.database.db.updateTable('tokens').set({ expires_at: '2000-01-01T00:00:00.000Z' }).where('id_hash', '=', hashToken(fresh.token)).execute()
    cloud().running.services.tokens.invalidateCache()
    const res = await fresh.request('GET', '/identity/v3/auth/projects')
    assert.equal(res.status, 401)
    assert.equal(res.body.error.code, 401)
  })

  test('an unknown path is a JSON 404', async () => {
    const res = await cloud().admin.request('GET', '/identity/v3/no-such-thing')
    assert.equal(res.status, 404)
    assert.equal(res.body.error.code, 404)
    const top = await cloud().request('GET', '/no-such-service')
    assert.equal(top.status, 404)
    assert.match(top.headers.get('content-type') ?? '', /json/)
  })
})
