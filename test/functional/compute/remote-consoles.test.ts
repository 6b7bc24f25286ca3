import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import { describeEachDialect, startTestCloud, type Session, type TestCloud } from '../../helpers/cloud.js'
import { action, bootServer, createImage, instanceRow, waitForStatus } from '../../helpers/compute.js'
import { hashConsoleToken } from '../../../src/services/consoles/console-tokens.js'

/** The console proxy port these clouds put in console URLs (no proxy listens: only the URLs are checked). */
const PROXY_PORT = 6199
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function remoteConsole(session: Session, id: string, body: unknown, microversion = '2.6') {
  return session.request('POST', `/compute/v2.1/servers/${id}/remote-consoles`, { body, microversion })
}

function tokenRows(cloud: TestCloud, instanceUuid?: string) {
  let query = cloud.running.database.db.selectFrom('console_auth_tokens').selectAll()
  if (instanceUuid) query = query.where('instance_uuid', '=', instanceUuid)
  return query.execute()
}

/** The token of a console URL (noVNC's is inside its `path` parameter). */
function tokenOf(url: string): string {
  const parsed = new URL(url)
  const direct = parsed.searchParams.get('token')
  if (direct) return direct
  return new URLSearchParams(parsed.searchParams.get('path')!.replace(/^\?/, '')).get('token')!
}

/** A request with a Host header of our choosing (fetch does not let one set it). */
function requestWithHost(cloud: TestCloud, session: Session, path: string, host: string, body: unknown): Promise<{ status: number; body: any }> {
  const url = new URL(cloud.url + path)
  const data = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { host, 'content-type': 'application/json', 'x-auth-token': session.token, 'openstack-api-version': 'compute 2.6', accept: 'application/json' },
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end(data)
  })
}

describeEachDialect('remote consoles (Nova console API)', (cloud) => {
  let imageId: string
  let server: any
  before(async () => {
    imageId = await createImage(cloud().admin)
    server = await bootServer(cloud().demo, { imageRef: imageId })
  })

  test('2.6: serial and noVNC URLs on the request host and the proxy port; only the token hash is stored', async () => {
    const serial = await remoteConsole(cloud().demo, server.id, { remote_console: { protocol: 'serial', type: 'serial' } })
    assert.equal(serial.status, 200, serial.text)
    assert.deepEqual(Object.keys(serial.body.remote_console).sort(), ['protocol', 'type', 'url'])
    assert.equal(serial.body.remote_console.protocol, 'serial')
    assert.equal(serial.body.remote_console.type, 'serial')
    assert.match(serial.body.remote_console.url, new RegExp(`^ws://127\\.0\\.0\\.1:${PROXY_PORT}/\\?token=[0-9a-f-]{36}$`))
    const vnc = await remoteConsole(cloud().demo, server.id, { remote_console: { protocol: 'vnc', type: 'novnc' } })
    assert.equal(vnc.status, 200, vnc.text)
    assert.match(vnc.body.remote_console.url, new RegExp(`^http://127\\.0\\.0\\.1:${PROXY_PORT}/vnc_auto\\.html\\?path=%3Ftoken%3D[0-9a-f-]{36}$`))

    const rows = await tokenRows(cloud(), server.id)
    const row = instanceRow(cloud(), server.id)
    for (const [url, type] of [[serial.body.remote_console.url, 'serial'], [vnc.body.remote_console.url, 'novnc']] as const) {
      const token = tokenOf(url)
      assert.match(token, UUID)
      const stored = rows.find((r) => r.token_hash === hashConsoleToken(token))
      assert.ok(stored, `a row for the ${type} token`)
      assert.equal(stored.console_type, type)
      assert.equal(stored.host, (await row).host)
      assert.equal(stored.project_id, cloud().demo.projectId)
      assert.ok(!JSON.stringify(rows).includes(token), 'the token itself is never stored')
    }
  })

  test('2.8: the same pairs, and mks/webmks is refused as a console type that is not enabled', async () => {
    const ok = await remoteConsole(cloud().demo, server.id, { remote_console: { protocol: 'serial', type: 'serial' } }, '2.8')
    assert.equal(ok.status, 200, ok.text)
    const mks = await remoteConsole(cloud().demo, server.id, { remote_console: { protocol: 'mks', type: 'webmks' } }, '2.8')
    assert.equal(mks.status, 400)
    assert.equal(mks.body.badRequest.message, 'Unavailable console type webmks.')
    const at26 = await remoteConsole(cloud().demo, server.id, { remote_console: { protocol: 'mks', type: 'webmks' } }, '2.6')
    assert.equal(at26.status, 400)
    assert.match(at26.body.badRequest.message, /^Invalid input for field\/attribute protocol\. Value: mks\. 'mks' is not one of/)
  })

  test("every other pair is refused with Nova's 400 and stores nothing", async () => {
    const before = (await tokenRows(cloud())).length
    const refusals: Array<[string, string, string]> = [
      ['spice', 'spice-html5', 'Unavailable console type spice-html5.'],
      ['vnc', 'xvpvnc', 'Invalid console type xvpvnc'],
      ['rdp', 'rdp-html5', 'Unavailable console type rdp.'],
      ['vnc', 'serial', 'Invalid console type serial'],
      ['serial', 'novnc', 'Invalid console type novnc'],
      ['spice', 'novnc', 'Unavailable console type novnc.'],
    ]
    for (const [protocol, type, message] of refusals) {
      const res = await remoteConsole(cloud().demo, server.id, { remote_console: { protocol, type } })
      assert.equal(res.status, 400, `${protocol}/${type}: ${res.text}`)
      assert.equal(res.body.badRequest.message, message)
    }
    const bad: unknown[] = [
      {}, { remote_console: {} }, { remote_console: { protocol: 'vnc' } }, { remote_console: { protocol: 'vnc', type: 'novnc', x: 1 } },
      { remote_console: { protocol: 'telnet', type: 'serial' } }, { remote_console: { protocol: 'vnc', type: 'novnc' }, x: 1 }, [],
    ]
    for (const body of bad) {
      const res = await remoteConsole(cloud().demo, server.id, body)
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`)
      assert.ok(res.body.badRequest.message)
    }
    assert.equal((await tokenRows(cloud())).length, before)
  })

  test('≤ 2.5 actions answer {console: {type, url}}; SPICE and RDP are refused; the actions end at 2.6, remote-consoles starts there', async () => {
    const serial = await action(cloud().demo, server.id, { 'os-getSerialConsole': { type: 'serial' } }, '2.5')
    assert.equal(serial.status, 200, serial.text)
    assert.equal(serial.body.console.type, 'serial')
    assert.match(serial.body.console.url, /^ws:\/\/127\.0\.0\.1:\d+\/\?token=/)
    const vnc = await action(cloud().demo, server.id, { 'os-getVNCConsole': { type: 'novnc' } })
    assert.equal(vnc.status, 200, vnc.text)
    assert.deepEqual(Object.keys(vnc.body.console).sort(), ['type', 'url'])
    assert.match(vnc.body.console.url, /\/vnc_auto\.html\?path=%3Ftoken%3D/)
    const xvp = await action(cloud().demo, server.id, { 'os-getVNCConsole': { type: 'xvpvnc' } })
    assert.equal(xvp.status, 400)
    assert.equal(xvp.body.badRequest.message, 'Invalid console type xvpvnc')
    const spice = await action(cloud().demo, server.id, { 'os-getSPICEConsole': { type: 'spice-html5' } })
    assert.equal(spice.status, 400)
    assert.equal(spice.body.badRequest.message, 'Unavailable console type spice-html5.')
    const rdp = await action(cloud().demo, server.id, { 'os-getRDPConsole': { type: 'rdp-html5' } })
    assert.equal(rdp.status, 400)
    const badType = await action(cloud().demo, server.id, { 'os-getSerialConsole': { type: 'novnc' } })
    assert.equal(badType.status, 400)
    const gone = await action(cloud().demo, server.id, { 'os-getSerialConsole': { type: 'serial' } }, '2.6')
    assert.equal(gone.status, 404)
    assert.equal(gone.body.itemNotFound.message, 'The resource could not be found.')
    const early = await remoteConsole(cloud().demo, server.id, { remote_console: { protocol: 'serial', type: 'serial' } }, '2.5')
    assert.equal(early.status, 404)
  })

  test('states: SHUTOFF and SUSPENDED are 409 (not ready), RESCUE and PAUSED have consoles', async () => {
    const demo = cloud().demo
    const vm = await bootServer(demo, { imageRef: imageId })
    const body = { remote_console: { protocol: 'serial', type: 'serial' } }
    const steps: Array<[object, string, number]> = [
      [{ 'os-stop': null }, 'SHUTOFF', 409], [{ 'os-start': null }, 'ACTIVE', 200], [{ pause: null }, 'PAUSED', 200], [{ unpause: null }, 'ACTIVE', 200],
      [{ suspend: null }, 'SUSPENDED', 409], [{ resume: null }, 'ACTIVE', 200], [{ rescue: null }, 'RESCUE', 200],
    ]
    for (const [verb, status, expected] of steps) {
      const res = await action(demo, vm.id, verb)
      assert.ok(res.status === 202 || res.status === 200, `${JSON.stringify(verb)}: ${res.text}`)
      await waitForStatus(demo, vm.id, status)
      const console = await remoteConsole(demo, vm.id, body)
      assert.equal(console.status, expected, `${status}: ${console.text}`)
      if (expected === 409) assert.equal(console.body.conflictingRequest.message, `Instance ${vm.id} is not ready`)
    }
  })

  test("another project's server is 404 and no token is issued", async () => {
    const adminServer = await bootServer(cloud().admin, { imageRef: imageId })
    const res = await remoteConsole(cloud().demo, adminServer.id, { remote_console: { protocol: 'vnc', type: 'novnc' } })
    assert.equal(res.status, 404)
    assert.equal(res.body.itemNotFound.message, `Instance ${adminServer.id} could not be found.`)
    const old = await action(cloud().demo, adminServer.id, { 'os-getVNCConsole': { type: 'novnc' } })
    assert.equal(old.status, 404)
    assert.deepEqual(await tokenRows(cloud(), adminServer.id), [])
  })

  test('os-console-auth-tokens: admin only, every type at 2.31, 400 up to 2.30, unknown or expired 404', async () => {
    const issued = await remoteConsole(cloud().demo, server.id, { remote_console: { protocol: 'vnc', type: 'novnc' } })
    const token = tokenOf(issued.body.remote_console.url)
    const show = (session: Session, value: string, microversion = '2.31') => session.request('GET', `/compute/v2.1/os-console-auth-tokens/${value}`, { microversion })
    const shown = await show(cloud().admin, token)
    assert.equal(shown.status, 200, shown.text)
    const row = await instanceRow(cloud(), server.id)
    assert.deepEqual(shown.body, { console: { instance_uuid: server.id, host: row.host, port: PROXY_PORT, internal_access_path: null } })
    const old = await show(cloud().admin, token, '2.30')
    assert.equal(old.status, 400)
    assert.equal(old.body.badRequest.message, 'The server could not comply with the request since it is either malformed or otherwise incorrect.')
    const member = await show(cloud().demo, token)
    assert.equal(member.status, 403)
    assert.equal(member.body.forbidden.message, "Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed.")
    const unknown = await show(cloud().admin, '9f3c1a52-0000-4000-8000-000000000000')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body.itemNotFound.message, 'Token not found')
    await cloud().running.database.db.updateTable('console_auth_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('token_hash', '=', hashConsoleToken(token)).execute()
    const expired = await show(cloud().admin, token)
    assert.equal(expired.status, 404)
    assert.equal(expired.body.itemNotFound.message, 'Token not found')
  })

  test("the URL's host is the Host header the client used (IPv6 bracketed); a malformed one falls back to the public URL", async () => {
    const path = `/compute/v2.1/servers/${server.id}/remote-consoles`
    const body = { remote_console: { protocol: 'serial', type: 'serial' } }
    const named = await requestWithHost(cloud(), cloud().demo, path, 'console.example.test:8774', body)
    assert.equal(named.status, 200, JSON.stringify(named.body))
    assert.match(named.body.remote_console.url, new RegExp(`^ws://console\\.example\\.test:${PROXY_PORT}/\\?token=`))
    const v6 = await requestWithHost(cloud(), cloud().demo, path, '[fd00::7]:8774', { remote_console: { protocol: 'vnc', type: 'novnc' } })
    assert.equal(v6.status, 200, JSON.stringify(v6.body))
    assert.match(v6.body.remote_console.url, new RegExp(`^http://\\[fd00::7\\]:${PROXY_PORT}/vnc_auto\\.html\\?path=`))
    const odd = await requestWithHost(cloud(), cloud().demo, path, 'bad_host!', body)
    assert.equal(odd.status, 200, JSON.stringify(odd.body))
    assert.match(odd.body.remote_console.url, new RegExp(`^ws://127\\.0\\.0\\.1:${PROXY_PORT}/`))
  })

  test('deleting a server revokes its tokens in the deleting transaction', async () => {
    const vm = await bootServer(cloud().demo, { imageRef: imageId })
    const issued = await remoteConsole(cloud().demo, vm.id, { remote_console: { protocol: 'serial', type: 'serial' } })
    assert.equal(issued.status, 200, issued.text)
    assert.equal((await tokenRows(cloud(), vm.id)).length, 1)
    const deleted = await cloud().demo.request('DELETE', `/compute/v2.1/servers/${vm.id}`)
    assert.equal(deleted.status, 204)
    assert.deepEqual(await tokenRows(cloud(), vm.id), [])
    assert.equal(await cloud().running.services.consoleTokens.validate(tokenOf(issued.body.remote_console.url)), null)
  })
}, {}, { consoleProxyPort: PROXY_PORT })

// The rule does not depend on the database: one SQLite cloud is enough.
describe('remote consoles without a console proxy', () => {
  let cloud: TestCloud
  before(async () => {
    // The started cloud has a proxy (src/server.ts): its port is hidden, as when none listens.
    cloud = await startTestCloud('sqlite', {}, { consoleProxyPort: null })
  })
  after(async () => {
    await cloud?.close()
  })

  test('no proxy port: the console type is unavailable (400) and nothing is stored', async () => {
    const imageId = await createImage(cloud.admin)
    const server = await bootServer(cloud.demo, { imageRef: imageId })
    const res = await remoteConsole(cloud.demo, server.id, { remote_console: { protocol: 'serial', type: 'serial' } })
    assert.equal(res.status, 400)
    assert.equal(res.body.badRequest.message, 'Unavailable console type serial.')
    assert.deepEqual(await tokenRows(cloud), [])
  })
})
