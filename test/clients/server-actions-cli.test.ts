import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'
import { waitUntil } from '../helpers/wait-until.js'

// Issue 15: the rest of a server's life through the real `openstack` CLI (python3-openstackclient), fake driver.
const ADMIN = 'lifeboat-admin'

async function waitCli(cloud: TestCloud, server: string, status: string): Promise<any> {
  let last: any
  return waitUntil(async () => {
    last = await openstackJson(cloud, ADMIN, ['--os-compute-api-version', '2.87', 'server', 'show', server])
    return last.status === status && !last['OS-EXT-STS:task_state'] ? last : undefined
  }, { timeoutMs: 60_000, intervalMs: 300, what: () => `${server} did not reach ${status}: ${JSON.stringify(last)}` })
}

async function ok(cloud: TestCloud, args: string[]): Promise<string> {
  const res = await openstack(cloud, ADMIN, args)
  assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`)
  return res.stdout
}

describe('openstack CLI: rebuild, resize, shelve, backup, reset state, crash dump, password, soft delete', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  let dir: string
  before(async () => {
    cloud = await startTestCloud('sqlite', { compute: { reclaimInstanceIntervalSeconds: 3600 } })
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-cli-actions-'))
    const file = path.join(dir, 'tiny.qcow2')
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '64M'])
    for (const name of ['img-a', 'img-b']) await ok(cloud, ['image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--public', '--file', file, name])
    await ok(cloud, ['flavor', 'create', '--vcpus', '1', '--ram', '128', '--disk', '1', 'small'])
    await ok(cloud, ['flavor', 'create', '--vcpus', '2', '--ram', '256', '--disk', '2', 'bigger'])
    await ok(cloud, ['flavor', 'create', '--vcpus', '1', '--ram', '192', '--disk', '2', 'medium'])
  })
  after(async () => {
    await cloud?.close()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  test('rebuild, resize with confirm and revert, shelve and unshelve, backup with rotation', async () => {
    const server = await openstackJson(cloud, ADMIN, ['--os-compute-api-version', '2.87', 'server', 'create', '--image', 'img-a', '--flavor', 'small', '--nic', 'none', '--wait', 'life'])
    assert.equal(server.status, 'ACTIVE')
    const imageB = (await openstackJson(cloud, ADMIN, ['image', 'show', 'img-b'])).id

    await ok(cloud, ['server', 'rebuild', '--image', 'img-b', '--wait', 'life'])
    assert.equal((await waitCli(cloud, 'life', 'ACTIVE')).image, `img-b (${imageB})`)

    await ok(cloud, ['server', 'resize', '--flavor', 'bigger', '--wait', 'life'])
    assert.equal((await waitCli(cloud, 'life', 'VERIFY_RESIZE')).flavor.original_name, 'bigger')
    await ok(cloud, ['server', 'resize', 'confirm', 'life'])
    assert.equal((await waitCli(cloud, 'life', 'ACTIVE')).flavor.original_name, 'bigger')
    await ok(cloud, ['server', 'resize', '--flavor', 'medium', '--wait', 'life'])
    await waitCli(cloud, 'life', 'VERIFY_RESIZE')
    await ok(cloud, ['server', 'resize', 'revert', 'life'])
    assert.equal((await waitCli(cloud, 'life', 'ACTIVE')).flavor.original_name, 'bigger', 'revert keeps the flavor before that resize')

    await ok(cloud, ['server', 'shelve', '--wait', 'life'])
    const shelved = await waitCli(cloud, 'life', 'SHELVED_OFFLOADED')
    assert.equal(shelved['OS-EXT-SRV-ATTR:host'], null)
    assert.equal((await openstackJson(cloud, ADMIN, ['image', 'list', '--name', 'life-shelved'])).length, 1)
    await ok(cloud, ['server', 'unshelve', '--wait', 'life'])
    await waitCli(cloud, 'life', 'ACTIVE')
    assert.equal((await openstackJson(cloud, ADMIN, ['image', 'list', '--name', 'life-shelved'])).length, 0, 'unshelve deletes the shelve image')

    for (const name of ['daily-1', 'daily-2', 'daily-3']) {
      await ok(cloud, ['server', 'backup', 'create', '--name', name, '--type', 'daily', '--rotate', '2', '--wait', 'life'])
      await waitCli(cloud, 'life', 'ACTIVE')
    }
    const backups = await waitUntil(async () => {
      const images = (await openstackJson(cloud, ADMIN, ['image', 'list', '--long'])).filter((i: any) => String(i.Name).startsWith('daily-'))
      return images.length === 2 ? images : undefined
    }, { timeoutMs: 20_000, intervalMs: 300, what: 'rotation did not keep two backups' })
    assert.deepEqual(backups.map((i: any) => i.Name).sort(), ['daily-2', 'daily-3'])
  })

  test('reset state, crash dump, password refused honestly, soft delete with restore and force delete', async () => {
    await openstackJson(cloud, ADMIN, ['--os-compute-api-version', '2.87', 'server', 'create', '--image', 'img-a', '--flavor', 'small', '--nic', 'none', '--wait', 'admin-ops'])
    await ok(cloud, ['server', 'set', '--state', 'error', 'admin-ops'])
    assert.equal((await openstackJson(cloud, ADMIN, ['server', 'show', 'admin-ops'])).status, 'ERROR')
    await ok(cloud, ['server', 'set', '--state', 'active', 'admin-ops'])
    assert.equal((await openstackJson(cloud, ADMIN, ['server', 'show', 'admin-ops'])).status, 'ACTIVE')

    await ok(cloud, ['--os-compute-api-version', '2.17', 'server', 'dump', 'create', 'admin-ops'])
    const password = await openstack(cloud, ADMIN, ['server', 'set', '--password', 'n3w-Secret', 'admin-ops'])
    assert.notEqual(password.code, 0)
    assert.match(password.stderr, /QEMU guest agent is not enabled|Unable to set password/)
    assert.doesNotMatch(password.stderr, /n3w-Secret/)

    await ok(cloud, ['server', 'delete', 'admin-ops'])
    await waitCli(cloud, 'admin-ops', 'SOFT_DELETED')
    await ok(cloud, ['server', 'restore', 'admin-ops'])
    await waitCli(cloud, 'admin-ops', 'ACTIVE')
    await ok(cloud, ['server', 'delete', 'admin-ops'])
    await waitCli(cloud, 'admin-ops', 'SOFT_DELETED')
    await ok(cloud, ['server', 'delete', '--force', '--wait', 'admin-ops'])
    assert.notEqual((await openstack(cloud, ADMIN, ['server', 'show', 'admin-ops'])).code, 0, 'force delete removes it at once')
  })
})
