import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import YAML from 'yaml'
import { loadConfig } from '../../../src/config.js'
import { startLifeboat, type RunningLifeboat } from '../../../src/server.js'
import { login, type Session } from '../../helpers/cloud.js'
import { action, bootServer, waitForStatus, waitForVolumeStatus } from '../../helpers/compute.js'

// A data folder made by the code of commit 8cdf80d (before issue 12; see the fixture's README) starts
// under this code: migrations run forward and every account and resource is still there and usable.
const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/data-8cdf80d')

describe('upgrade from a data folder of commit 8cdf80d', () => {
  let dir: string
  let running: RunningLifeboat
  let admin: Session
  let demo: Session
  const passwords: Record<string, string> = {}

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-upgrade-'))
    const dataDir = path.join(dir, 'data')
    fs.cpSync(FIXTURE, dataDir, { recursive: true })
    fs.rmSync(path.join(dataDir, 'README.md'))
    const clouds = YAML.parse(fs.readFileSync(path.join(dataDir, 'clouds.yaml'), 'utf8')).clouds
    for (const user of ['admin', 'demo']) passwords[user] = clouds[`lifeboat-${user}`].auth.password
    running = await startLifeboat(loadConfig({ host: '127.0.0.1', port: 0, consolePort: 0, dataDir, logLevel: 'silent', agent: { driver: 'fake' } }), { logger: false })
    admin = await login(running.url, 'admin', passwords.admin!, 'admin')
    demo = await login(running.url, 'demo', passwords.demo!, 'demo')
  })

  after(async () => {
    await running?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('no account is created again; clouds.yaml keeps its passwords and points at the new address', () => {
    assert.deepEqual(running.bootstrapped, [])
    const clouds = YAML.parse(fs.readFileSync(running.cloudsYamlPath, 'utf8')).clouds
    assert.equal(clouds['lifeboat-admin'].auth.password, passwords.admin)
    assert.equal(clouds['lifeboat-demo'].auth.auth_url, `${running.url}/identity`)
  })

  test('the servers, volume, image and keypair are all there, in their states', async () => {
    const servers = (await demo.request('GET', '/compute/v2.1/servers/detail')).body.servers as Array<{ name: string; status: string; id: string }>
    const byName = Object.fromEntries(servers.map((s) => [s.name, s]))
    assert.deepEqual(Object.keys(byName).sort(), ['fixture-a', 'fixture-b', 'fixture-rescued'])
    assert.equal(byName['fixture-a']!.status, 'SHUTOFF')
    assert.equal(byName['fixture-b']!.status, 'ACTIVE')
    assert.equal(byName['fixture-rescued']!.status, 'RESCUE')
    const volumes = (await demo.request('GET', `/volume/v3/${demo.projectId}/volumes/detail`)).body.volumes
    assert.equal(volumes.length, 1)
    assert.equal(volumes[0].name, 'fixture-volume')
    assert.equal(volumes[0].status, 'in-use')
    assert.equal(volumes[0].attachments[0].server_id, byName['fixture-b']!.id)
    const images = (await demo.request('GET', '/image/v2/images?name=fixture-image')).body.images
    assert.equal(images.length, 1)
    const data = await demo.request('GET', `/image/v2/images/${images[0].id}/file`)
    assert.equal(data.status, 200)
    assert.equal(data.text, '\u0007'.repeat(4096))
    assert.equal((await demo.request('GET', '/compute/v2.1/os-keypairs/fixture-key')).status, 200)
    assert.equal((await admin.request('GET', '/compute/v2.1/os-hypervisors')).status, 200)
  })

  test('they can be acted on: unrescue, start, detach, and a new server from the old image', async () => {
    const servers = (await demo.request('GET', '/compute/v2.1/servers')).body.servers as Array<{ name: string; id: string }>
    const id = (name: string) => servers.find((s) => s.name === name)!.id
    assert.equal((await action(demo, id('fixture-rescued'), { unrescue: null })).status, 202)
    await waitForStatus(demo, id('fixture-rescued'), 'ACTIVE')
    assert.equal((await action(demo, id('fixture-a'), { 'os-start': null })).status, 202)
    await waitForStatus(demo, id('fixture-a'), 'ACTIVE')
    const volume = (await demo.request('GET', `/volume/v3/${demo.projectId}/volumes`)).body.volumes[0]
    assert.equal((await demo.request('DELETE', `/compute/v2.1/servers/${id('fixture-b')}/os-volume_attachments/${volume.id}`)).status, 202)
    await waitForVolumeStatus(demo, volume.id, 'available')
    const image = (await demo.request('GET', '/image/v2/images?name=fixture-image')).body.images[0]
    const created = await bootServer(demo, { imageRef: image.id, key_name: 'fixture-key', networks: 'none' }, '2.37')
    assert.equal(created.status, 'ACTIVE')
  })

  test('the upgrade seeded the first-start topology: public, private, router1; a demo boot without networks gets a NIC on private', async () => {
    const networks = (await admin.request('GET', '/network/v2.0/networks')).body.networks as Array<{ name: string; 'router:external': boolean }>
    assert.deepEqual(networks.map((n) => n.name).sort(), ['private', 'public'])
    assert.equal(networks.find((n) => n.name === 'public')!['router:external'], true)
    const routers = (await demo.request('GET', '/network/v2.0/routers')).body.routers as Array<{ name: string }>
    assert.deepEqual(routers.map((r) => r.name), ['router1'])
    const image = (await demo.request('GET', '/image/v2/images?name=fixture-image')).body.images[0]
    const created = await bootServer(demo, { imageRef: image.id, name: 'after-upgrade' })
    assert.deepEqual(Object.keys(created.addresses), ['private'])
  })

  test('the seed is once and all-or-nothing: never again without the network migration, never over existing networks', async () => {
    const { NETWORK_MIGRATION, seedUpgradedTopology } = await import('../../../src/services/identity/bootstrap.js')
    assert.equal(await seedUpgradedTopology(running.database.db, []), false)
    assert.equal(await seedUpgradedTopology(running.database.db, [NETWORK_MIGRATION]), false)
    assert.equal(((await admin.request('GET', '/network/v2.0/networks')).body.networks as unknown[]).length, 2)
  })
})
