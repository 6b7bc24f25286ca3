import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DIALECTS } from '../../helpers/cloud.js'
import { POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { bootOnHost, createImage, waitForStatus } from '../../helpers/compute.js'
import { startMultiAgentCloud, type MultiAgentCloud } from './multi-agent-cloud.js'

const C = '/compute/v2.1'

/**
 * os-migrateLive across three fake-driver agents: a and b work, c fails its
 * side of every live migration (as destination: prepare; as source: the
 * transfer), so the rollbacks show.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: live migration`, { skip }, () => {
    let cloud: MultiAgentCloud
    let imageId: string
    const request = (method: string, path: string, body?: unknown, microversion?: string) => cloud.admin.request(method, `${C}${path}`, { body, microversion })
    const boot = async (host: string): Promise<string> => {
      const server = await bootOnHost(cloud.admin, imageId, host)
      assert.equal(server['OS-EXT-SRV-ATTR:host'], host)
      return server.id as string
    }
    const migrateLive = (id: string, body: unknown, microversion = '2.30') => request('POST', `/servers/${id}/action`, { 'os-migrateLive': body }, microversion)
    const migrations = (id: string) => cloud.running.database.db.selectFrom('migrations').selectAll().where('instance_uuid', '=', id).orderBy('id').execute()
    const allocations = (consumer: string) => cloud.running.services.placement.allocationsIn(cloud.running.database.db, consumer)
    const lastAction = async (id: string) => (await request('GET', `/servers/${id}/os-instance-actions`, undefined, '2.21')).body.instanceActions[0]

    before(async () => {
      cloud = await startMultiAgentCloud(dialect, ['host-a', 'host-b', 'host-c'], undefined, { 'host-c': ['prepareIncomingMigration', 'migrateLive'] })
      imageId = await createImage(cloud.admin)
    })
    after(async () => {
      await cloud?.close()
    })

    test('to a named host: MIGRATING, then ACTIVE there; the migration completed; placement on the destination only', async () => {
      const id = await boot('host-a')
      const res = await migrateLive(id, { host: 'host-b', block_migration: 'auto' })
      assert.equal(res.status, 202, res.text)
      const server = await waitForStatus(cloud.admin, id, 'ACTIVE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-b')
      const [migration] = await migrations(id)
      assert.equal(migration!.migration_type, 'live-migration')
      assert.equal(migration!.status, 'completed')
      assert.equal(migration!.source_compute, 'host-a')
      assert.equal(migration!.dest_compute, 'host-b')
      assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-b')])
      assert.deepEqual(await allocations(migration!.uuid), {})
      const action = await lastAction(id)
      assert.equal(action.action, 'live-migration')
    })

    test('the scheduler picks another host (2.68, no force); a PAUSED server arrives PAUSED', async () => {
      const id = await boot('host-a')
      assert.equal((await request('POST', `/servers/${id}/action`, { pause: null })).status, 202)
      await waitForStatus(cloud.admin, id, 'PAUSED')
      const res = await migrateLive(id, { host: null, block_migration: 'auto' }, '2.68')
      assert.equal(res.status, 202, res.text)
      await waitForStatus(cloud.admin, id, 'MIGRATING').catch(() => undefined)
      const server = await waitForStatus(cloud.admin, id, 'PAUSED')
      assert.notEqual(server['OS-EXT-SRV-ATTR:host'], 'host-a')
      assert.equal((await migrations(id)).at(-1)!.status, 'completed')
    })

    test('refusals: bodies per microversion, unknown or same host, wrong state — nothing changes', async () => {
      const id = await boot('host-a')
      const bad = async (body: unknown, microversion: string, status: number, text?: RegExp) => {
        const res = await migrateLive(id, body, microversion)
        assert.equal(res.status, status, `${microversion} ${JSON.stringify(body)}: ${res.text}`)
        if (text) assert.match(res.text, text)
      }
      await bad({ host: 'host-b', block_migration: false }, '2.1', 400)
      await bad({ host: 'host-b', block_migration: 'auto', disk_over_commit: false }, '2.25', 400)
      await bad({ host: 'host-b', block_migration: 'auto', force: true }, '2.25', 400)
      await bad({ host: 'host-b', block_migration: 'auto', force: true }, '2.68', 400)
      await bad({ host: 'host-b', block_migration: 'maybe' }, '2.30', 400)
      await bad({ host: 'nowhere', block_migration: 'auto' }, '2.30', 400, /Compute host nowhere could not be found\./)
      await bad({ host: 'host-a', block_migration: 'auto' }, '2.30', 400, /to current host \(host-a\)/)
      assert.equal((await request('POST', `/servers/${id}/action`, { 'os-stop': null })).status, 202)
      await waitForStatus(cloud.admin, id, 'SHUTOFF')
      await bad({ host: 'host-b', block_migration: 'auto' }, '2.30', 409, /os-migrateLive/)
      assert.equal((await migrations(id)).length, 0)
      assert.equal((await migrateLive('00000000-0000-4000-8000-000000000000', { host: null, block_migration: 'auto' })).status, 404)
    })

    test('the 2.1 body still works (block_migration and disk_over_commit booleans)', async () => {
      const id = await boot('host-b')
      const res = await migrateLive(id, { host: 'host-a', block_migration: true, disk_over_commit: false }, '2.1')
      assert.equal(res.status, 202, res.text)
      const server = await waitForStatus(cloud.admin, id, 'ACTIVE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-a')
    })

    test('the destination fails to prepare: migration failed, the server ACTIVE on its source with its allocation', async () => {
      const id = await boot('host-a')
      assert.equal((await migrateLive(id, { host: 'host-c', block_migration: 'auto' })).status, 202)
      const server = await waitForStatus(cloud.admin, id, 'ACTIVE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-a')
      const [migration] = await migrations(id)
      assert.equal(migration!.status, 'failed')
      assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-a')])
      assert.deepEqual(await allocations(migration!.uuid), {})
    })

    test('the source fails to send: migration failed, the server stays on the source', async () => {
      const id = await boot('host-c')
      assert.equal((await migrateLive(id, { host: 'host-a', block_migration: 'auto' })).status, 202)
      const server = await waitForStatus(cloud.admin, id, 'ACTIVE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-c')
      assert.equal((await migrations(id)).at(-1)!.status, 'failed')
      assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-c')])
    })

    test('abort: 404 before 2.24; 409 when the server is not migrating', async () => {
      const id = await boot('host-a')
      assert.equal((await request('DELETE', `/servers/${id}/migrations/1`, undefined, '2.23')).status, 404)
      const res = await request('DELETE', `/servers/${id}/migrations/1`, undefined, '2.24')
      assert.equal(res.status, 409, res.text)
    })

    test('force_complete: 404 before 2.22; 400 for a bad body; 409 when the server is not migrating', async () => {
      const id = await boot('host-b')
      assert.equal((await request('POST', `/servers/${id}/migrations/1/action`, { force_complete: null }, '2.21')).status, 404)
      assert.equal((await request('POST', `/servers/${id}/migrations/1/action`, { force_complete: 1 }, '2.22')).status, 400)
      assert.equal((await request('POST', `/servers/${id}/migrations/1/action`, { force_complete: null }, '2.22')).status, 409)
    })
  })
}
