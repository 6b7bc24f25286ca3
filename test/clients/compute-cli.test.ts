import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'
import { waitUntil } from '../helpers/wait-until.js'

const ADMIN = 'lifeboat-admin'

async function waitCli(cloud: TestCloud, server: string, status: string, extra: string[] = []): Promise<any> {
  let last: any
  return waitUntil(async () => {
    last = await openstackJson(cloud, ADMIN, [...extra, 'server', 'show', server])
    return last.status === status && !last['OS-EXT-STS:task_state'] ? last : undefined
  }, { timeoutMs: 60_000, intervalMs: 300, what: () => `${server} did not reach ${status}: ${JSON.stringify(last)}` })
}

describe('openstack CLI: servers, volumes and rescue', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  let dir: string
  before(async () => {
    cloud = await startTestCloud('sqlite')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-cli-'))
    const file = path.join(dir, 'tiny.qcow2')
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '64M'])
    for (const [name, props] of [['guest-img', []], ['rescue-img', ['--property', 'hw_rescue_device=disk', '--property', 'hw_rescue_bus=virtio']]] as const) {
      const res = await openstack(cloud, ADMIN, ['image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--public', '--file', file, ...props, name])
      assert.equal(res.code, 0, res.stderr)
    }
  })
  after(async () => {
    await cloud?.close()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  test('flavor, keypair, an image-backed server through its life, and a volume attached and detached', async () => {
    const flavor = await openstackJson(cloud, ADMIN, ['flavor', 'create', '--vcpus', '1', '--ram', '256', '--disk', '1', 'cli-flavor'])
    assert.equal(flavor.name, 'cli-flavor')
    const keypair = await openstack(cloud, ADMIN, ['keypair', 'create', 'cli-key'])
    assert.equal(keypair.code, 0, keypair.stderr)
    assert.match(keypair.stdout, /PRIVATE KEY/)
    const server = await openstackJson(cloud, ADMIN, ['server', 'create', '--image', 'guest-img', '--flavor', 'cli-flavor', '--key-name', 'cli-key', '--wait', 'cli-vm'])
    assert.equal(server.status, 'ACTIVE')
    for (const [verb, status] of [['stop', 'SHUTOFF'], ['start', 'ACTIVE'], ['reboot', 'ACTIVE'], ['pause', 'PAUSED'], ['unpause', 'ACTIVE']] as const) {
      const res = await openstack(cloud, ADMIN, ['server', verb, 'cli-vm'])
      assert.equal(res.code, 0, `${verb}: ${res.stderr}`)
      await waitCli(cloud, 'cli-vm', status)
    }
    assert.equal((await openstack(cloud, ADMIN, ['server', 'lock', 'cli-vm'])).code, 0)
    assert.equal((await openstackJson(cloud, ADMIN, ['--os-compute-api-version', '2.9', 'server', 'show', 'cli-vm'])).locked, true)
    assert.equal((await openstack(cloud, ADMIN, ['server', 'unlock', 'cli-vm'])).code, 0)
    const volume = await openstackJson(cloud, ADMIN, ['volume', 'create', '--size', '1', 'cli-data'])
    for (let i = 0; i < 100 && (await openstackJson(cloud, ADMIN, ['volume', 'show', volume.id])).status !== 'available'; i++) await new Promise((r) => setTimeout(r, 200))
    assert.equal((await openstack(cloud, ADMIN, ['server', 'add', 'volume', 'cli-vm', 'cli-data'])).code, 0)
    let status = ''
    for (let i = 0; i < 100 && status !== 'in-use'; i++) {
      status = (await openstackJson(cloud, ADMIN, ['volume', 'show', 'cli-data'])).status
      await new Promise((r) => setTimeout(r, 200))
    }
    assert.equal(status, 'in-use')
    assert.equal((await openstack(cloud, ADMIN, ['server', 'remove', 'volume', 'cli-vm', 'cli-data'])).code, 0)
    for (let i = 0; i < 100 && status !== 'available'; i++) {
      status = (await openstackJson(cloud, ADMIN, ['volume', 'show', 'cli-data'])).status
      await new Promise((r) => setTimeout(r, 200))
    }
    assert.equal(status, 'available')
    const events = await openstackJson<Array<{ Action: string }>>(cloud, ADMIN, ['server', 'event', 'list', 'cli-vm'])
    for (const name of ['create', 'stop', 'start', 'reboot', 'pause', 'unpause', 'lock', 'unlock', 'attach_volume', 'detach_volume']) {
      assert.ok(events.some((e) => e.Action === name), `event ${name} in ${JSON.stringify(events)}`)
    }
  })

  test('openstack server rescue and unrescue on an image-backed server', async () => {
    await openstackJson(cloud, ADMIN, ['server', 'create', '--image', 'guest-img', '--flavor', '1', '--wait', 'rescue-me'])
    const rescue = await openstack(cloud, ADMIN, ['server', 'rescue', 'rescue-me'])
    assert.equal(rescue.code, 0, rescue.stderr)
    await waitCli(cloud, 'rescue-me', 'RESCUE')
    assert.equal((await openstack(cloud, ADMIN, ['server', 'unrescue', 'rescue-me'])).code, 0)
    await waitCli(cloud, 'rescue-me', 'ACTIVE')
  })

  test('boot from volume (--boot-from-volume and --volume); BFV rescue needs --os-compute-api-version 2.87', async () => {
    const bfv = await openstackJson(cloud, ADMIN, ['server', 'create', '--image', 'guest-img', '--boot-from-volume', '1', '--flavor', '1', '--wait', 'bfv-server'])
    assert.equal(bfv.status, 'ACTIVE')
    assert.ok(['', 'N/A (booted from volume)'].includes(bfv.image), bfv.image)
    const refused = await openstack(cloud, ADMIN, ['server', 'rescue', '--image', 'rescue-img', 'bfv-server'])
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /Cannot rescue a volume-backed instance/)
    assert.match(refused.stderr, /--os-compute-api-version 2\.87/)
    assert.match(refused.stderr, /HTTP 400/)
    const ok = await openstack(cloud, ADMIN, ['--os-compute-api-version', '2.87', 'server', 'rescue', '--image', 'rescue-img', 'bfv-server'])
    assert.equal(ok.code, 0, ok.stderr)
    await waitCli(cloud, 'bfv-server', 'RESCUE', ['--os-compute-api-version', '2.87'])
    assert.equal((await openstack(cloud, ADMIN, ['server', 'unrescue', 'bfv-server'])).code, 0)
    await waitCli(cloud, 'bfv-server', 'ACTIVE')
    const root = await openstackJson(cloud, ADMIN, ['volume', 'create', '--image', 'guest-img', '--size', '1', '--bootable', 'root-vol'])
    for (let i = 0; i < 100 && (await openstackJson(cloud, ADMIN, ['volume', 'show', root.id])).status !== 'available'; i++) await new Promise((r) => setTimeout(r, 200))
    const fromVolume = await openstackJson(cloud, ADMIN, ['server', 'create', '--volume', 'root-vol', '--flavor', '1', '--wait', 'vol-server'])
    assert.equal(fromVolume.status, 'ACTIVE')
    assert.equal((await openstack(cloud, ADMIN, ['server', 'delete', '--wait', 'vol-server', 'bfv-server', 'rescue-me', 'cli-vm'])).code, 0)
  })
})
