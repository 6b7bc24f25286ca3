import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { describeEachDialect, type Session, type TestCloud } from '../../helpers/cloud.js'
import { bootServer, createImage } from '../../helpers/compute.js'
import { openViewer } from '../../helpers/console-agent.js'
import { waitUntil } from '../../helpers/wait-until.js'

const fixture = (name: string) => fs.readFileSync(new URL(`../../fixtures/console-logs/${name}`, import.meta.url), 'utf8')

/**
 * Puts a real console log into a fake server's console log: typed through its serial console (the
 * fake driver records each typed line, as a guest's tty echo would show it), then read back the way
 * os-getConsoleOutput reads it.
 */
async function seedConsole(cloud: TestCloud, session: Session, serverId: string, text: string): Promise<void> {
  const res = await session.request('POST', `/compute/v2.1/servers/${serverId}/remote-consoles`, {
    body: { remote_console: { protocol: 'serial', type: 'serial' } }, microversion: '2.6',
  })
  assert.equal(res.status, 200, res.text)
  const url = new URL(res.body.remote_console.url)
  const viewer = await openViewer(cloud.running.consolePort, `${url.pathname}${url.search}`)
  const lines = text.split('\n').filter((line) => line.trim() !== '')
  viewer.ws.send(`${lines.join('\r')}\r`)
  const last = lines.at(-1)!.replace(/[\x00-\x1f]/g, '')
  await waitUntil(async () => {
    const log = await session.request('POST', `/compute/v2.1/servers/${serverId}/action`, { body: { 'os-getConsoleOutput': {} } })
    return String(log.body.output).includes(last)
  }, { timeoutMs: 10_000, intervalMs: 50, what: () => 'the typed log in the console output' })
  viewer.ws.close()
  await viewer.closed
}

/** A user in a project of its own (member role), logged in. */
async function otherProjectUser(cloud: TestCloud): Promise<Session> {
  const admin = cloud.admin
  const project = await admin.request('POST', '/identity/v3/projects', { body: { project: { name: 'diagnosis-other' } } })
  const user = await admin.request('POST', '/identity/v3/users', { body: { user: { name: 'diagnosis-bob', password: 'bob-secret-pw', default_project_id: project.body.project.id } } })
  const roles = await admin.request('GET', '/identity/v3/roles?name=member')
  await admin.request('PUT', `/identity/v3/projects/${project.body.project.id}/users/${user.body.user.id}/roles/${roles.body.roles[0].id}`)
  return cloud.login('diagnosis-bob', 'bob-secret-pw', 'diagnosis-other')
}

describeEachDialect('lifeboat/v1 diagnosis (fake driver)', (cloud) => {
  test('a console log with a failed fstab mount: the finding names the line, the mount point and a repair script', async () => {
    const server = await bootServer(cloud().demo, { imageRef: await createImage(cloud().admin) })
    await seedConsole(cloud(), cloud().demo, server.id, fixture('fstab-missing-device.log'))
    const res = await cloud().demo.request('GET', `/lifeboat/v1/servers/${server.id}/diagnosis`)
    assert.equal(res.status, 200, res.text)
    const { diagnosis } = res.body
    assert.equal(diagnosis.server_id, server.id)
    assert.equal(diagnosis.rules_version, 1)
    assert.ok(diagnosis.console_lines > 50, `console_lines ${diagnosis.console_lines}: ${JSON.stringify(diagnosis.findings.map((f: any) => f.rule))}`)
    assert.deepEqual(diagnosis.findings.map((f: any) => f.rule), ['fstab-mount-failed'])
    const [finding] = diagnosis.findings
    assert.equal(finding.severity, 'critical')
    assert.deepEqual(finding.captures.mountpoint, ['/srv/data'])
    assert.deepEqual(finding.captures.device, ['/dev/disk/by-label/data'])
    const cited = finding.lines.find((l: any) => l.text === '[DEPEND] Dependency failed for srv-data.mount - /srv/data.')
    assert.ok(cited, JSON.stringify(finding.lines))
    const log = await cloud().demo.request('POST', `/compute/v2.1/servers/${server.id}/action`, { body: { 'os-getConsoleOutput': {} } })
    assert.equal(String(log.body.output).split('\n')[cited.number - 1], cited.text, 'line numbers are the console log\'s')
    assert.equal(finding.line_count, 2)
    assert.match(finding.repair_script, /^#!\/bin\/sh\n/)
    assert.ok(finding.repair_script.includes("for mp in '/srv/data'; do"))
    assert.deepEqual(Object.keys(finding).sort(), ['captures', 'explanation', 'line_count', 'lines', 'repair_script', 'rule', 'severity', 'title'])
  })

  test('a server that booted normally has no finding', async () => {
    const server = await bootServer(cloud().demo, { imageRef: await createImage(cloud().admin) })
    const res = await cloud().demo.request('GET', `/lifeboat/v1/servers/${server.id}/diagnosis`)
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.body.diagnosis.findings, [])
    assert.ok(res.body.diagnosis.console_lines > 0)
  })

  test('policy: an admin may diagnose any server; another project gets Nova\'s 404, without a token a 401; unknown servers 404', async () => {
    const server = await bootServer(cloud().demo, { imageRef: await createImage(cloud().admin) })
    assert.equal((await cloud().admin.request('GET', `/lifeboat/v1/servers/${server.id}/diagnosis`)).status, 200)
    const bob = await otherProjectUser(cloud())
    const hidden = await bob.request('GET', `/lifeboat/v1/servers/${server.id}/diagnosis`)
    assert.equal(hidden.status, 404)
    assert.deepEqual(Object.keys(hidden.body), ['itemNotFound'])
    assert.equal(hidden.body.itemNotFound.code, 404)
    assert.equal(hidden.body.itemNotFound.message, `Instance ${server.id} could not be found.`)
    assert.equal((await cloud().request('GET', `/lifeboat/v1/servers/${server.id}/diagnosis`)).status, 401)
    const unknown = await cloud().demo.request('GET', '/lifeboat/v1/servers/00000000-0000-4000-8000-000000000000/diagnosis')
    assert.equal(unknown.status, 404)
    assert.equal((await cloud().demo.request('GET', '/lifeboat/v1/servers/not-a-uuid/diagnosis')).status, 404)
    assert.equal((await cloud().demo.request('GET', '/lifeboat/v1/nothing-here')).body.itemNotFound.code, 404)
  })

  test('the rules are listed, and the version document is public', async () => {
    const res = await cloud().demo.request('GET', '/lifeboat/v1/diagnosis-rules')
    assert.equal(res.status, 200)
    const ids = res.body.rules.map((r: any) => r.id)
    for (const id of ['fstab-mount-failed', 'emergency-mode', 'root-device-missing', 'kernel-panic-no-root', 'boot-loader-kernel-missing', 'root-full']) assert.ok(ids.includes(id), id)
    assert.ok(res.body.rules.every((r: any) => r.patterns.length > 0))
    const version = await cloud().request('GET', '/lifeboat/v1')
    assert.equal(version.status, 200)
    assert.equal(version.body.version.id, 'v1')
  })
})
