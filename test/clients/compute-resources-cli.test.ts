import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'
import { insertComputeHost } from '../functional/compute/compute-host-fixtures.js'

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMFopoM+eDox5WG/WaW6DoEMf3GBuadYMo1oFn5Zv53m cli@example'

describe('openstack CLI: flavors, keypairs, services, hypervisors, zones, limits', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  before(async () => {
    cloud = await startTestCloud('sqlite')
    await insertComputeHost(cloud, 'cli-compute-host')
  })
  after(async () => {
    await cloud?.close()
  })

  test('flavor create, list, show, set --property trait:COMPUTE_RESCUE_BFV=required, delete', async () => {
    const created = await openstackJson(cloud, 'lifeboat-admin', ['flavor', 'create', '--vcpus', '1', '--ram', '256', '--disk', '1', 'f1'])
    assert.equal(created.name, 'f1')
    assert.equal(created.ram, 256)
    const list = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-admin', ['flavor', 'list'])
    assert.deepEqual(list.map((f) => f.Name).sort(), ['f1', 'm1.medium', 'm1.micro', 'm1.nano', 'm1.small', 'm1.tiny'])
    const set = await openstack(cloud, 'lifeboat-admin', ['flavor', 'set', '--property', 'trait:COMPUTE_RESCUE_BFV=required', 'f1'])
    assert.equal(set.code, 0, set.stderr)
    const shown = await openstackJson(cloud, 'lifeboat-admin', ['flavor', 'show', 'f1'])
    assert.equal(shown.vcpus, 1)
    assert.equal(shown.disk, 1)
    assert.match(JSON.stringify(shown.properties), /trait:COMPUTE_RESCUE_BFV/)
    const demoCreate = await openstack(cloud, 'lifeboat-demo', ['flavor', 'create', '--vcpus', '1', '--ram', '256', '--disk', '1', 'nope'])
    assert.notEqual(demoCreate.code, 0)
    assert.match(demoCreate.stderr, /403|not allowed|Forbidden/i)
    const del = await openstack(cloud, 'lifeboat-admin', ['flavor', 'delete', 'f1'])
    assert.equal(del.code, 0, del.stderr)
  })

  test('keypair create prints the private key; import a public key file; list; delete', async () => {
    const created = await openstack(cloud, 'lifeboat-demo', ['keypair', 'create', 'k1'])
    assert.equal(created.code, 0, created.stderr)
    assert.match(created.stdout, /-----BEGIN RSA PRIVATE KEY-----/)
    const file = path.join(path.dirname(cloud.running.cloudsYamlPath), 'k2.pub')
    fs.writeFileSync(file, `${ED25519}\n`)
    const imported = await openstackJson(cloud, 'lifeboat-demo', ['keypair', 'create', '--public-key', file, 'k2'])
    assert.equal(imported.name, 'k2')
    assert.match(imported.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/)
    const list = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-demo', ['keypair', 'list'])
    assert.deepEqual(list.map((k) => k.Name).sort(), ['k1', 'k2'])
    const adminList = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-admin', ['keypair', 'list'])
    assert.deepEqual(adminList, [])
    const del = await openstack(cloud, 'lifeboat-demo', ['keypair', 'delete', 'k1'])
    assert.equal(del.code, 0, del.stderr)
    const after = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-demo', ['keypair', 'list'])
    assert.deepEqual(after.map((k) => k.Name), ['k2'])
  })

  test('compute service list and hypervisor list show the registered host', async () => {
    const services = await openstackJson<Array<Record<string, unknown>>>(cloud, 'lifeboat-admin', ['compute', 'service', 'list'])
    const mine = services.find((s) => s.Host === 'cli-compute-host')
    assert.ok(mine, JSON.stringify(services))
    assert.equal(mine.Binary, 'nova-compute')
    assert.equal(mine.State, 'up')
    assert.equal(mine.Status, 'enabled')
    const hypervisors = await openstackJson<Array<Record<string, unknown>>>(cloud, 'lifeboat-admin', ['hypervisor', 'list'])
    assert.ok(hypervisors.some((h) => h['Hypervisor Hostname'] === 'cli-compute-host'), JSON.stringify(hypervisors))
  })

  test('availability zone list --compute and limits show --absolute', async () => {
    const zones = await openstackJson<Array<Record<string, unknown>>>(cloud, 'lifeboat-admin', ['availability', 'zone', 'list', '--compute'])
    assert.ok(zones.some((z) => z['Zone Name'] === 'nova' && z['Zone Status'] === 'available'), JSON.stringify(zones))
    const demoZones = await openstackJson<Array<Record<string, unknown>>>(cloud, 'lifeboat-demo', ['availability', 'zone', 'list', '--compute'])
    assert.ok(demoZones.some((z) => z['Zone Name'] === 'nova'), JSON.stringify(demoZones))
    const limits = await openstackJson<Array<{ Name: string; Value: number }>>(cloud, 'lifeboat-demo', ['limits', 'show', '--absolute'])
    const byName = Object.fromEntries(limits.map((l) => [l.Name, l.Value]))
    assert.equal(byName.maxTotalInstances, 10)
    assert.equal(byName.totalInstancesUsed, 0)
  })
})
