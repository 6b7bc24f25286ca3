import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DIALECTS } from '../../helpers/cloud.js'
import { POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { bootOnHost, createImage, waitForStatus } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'
import { RestartableCloud } from './restartable-cloud.js'

const C = '/compute/v2.1'

/**
 * Beyond Nova (which refuses both with 409): a RESCUED server live-migrates
 * and is evacuated between two fake-driver agents, arriving rescued in the
 * same stable-device layout; unrescue (with and without discard) works on
 * its new host.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: rescued servers move between hosts and arrive rescued`, { skip }, () => {
    let cloud: RestartableCloud
    let imageId: string
    let rescueImageId: string
    const request = (method: string, p: string, body?: unknown, microversion?: string) => cloud.admin.request(method, `${C}${p}`, { body, microversion })
    const act = (id: string, body: unknown, microversion?: string) => request('POST', `/servers/${id}/action`, body, microversion)
    const boot = async (host: string): Promise<string> => (await bootOnHost(cloud.admin, imageId, host, 'rm')).id as string
    const rescue = async (id: string): Promise<void> => {
      const res = await act(id, { rescue: { rescue_image_ref: rescueImageId } }, '2.87')
      assert.equal(res.status, 200, res.text)
      await waitForStatus(cloud.admin, id, 'RESCUE')
    }
    const arrived = (id: string, host: string, status: string) => waitUntil(async () => {
      const server = (await request('GET', `/servers/${id}`)).body.server
      return server.status === status && server['OS-EXT-STS:task_state'] === null && server['OS-EXT-SRV-ATTR:host'] === host ? server : undefined
    }, { timeoutMs: 15_000, intervalMs: 50, what: `the server ${status} on ${host}` })
    const placed = (domain: { layout: { devices: Array<{ name: string; address: string; bootIndex: number | null }> } } | null) =>
      domain?.layout.devices.map((d) => [d.name, d.address, d.bootIndex])

    before(async () => {
      cloud = await RestartableCloud.start(dialect, ['rm-a', 'rm-b'])
      imageId = await createImage(cloud.admin)
      rescueImageId = await createImage(cloud.admin, { name: 'rescue', properties: { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' } })
    })
    after(async () => {
      await cloud?.close()
    })

    test('os-migrateLive of a RESCUED server: RESCUE on the destination in the same layout, the rescue image\'s console there; unrescue with discard boots the original', async () => {
      const id = await boot('rm-a')
      await rescue(id)
      const before = await cloud.drivers.get('rm-a')!.getDomain(id)
      assert.equal(before?.rescued, true)
      const res = await act(id, { 'os-migrateLive': { host: 'rm-b', block_migration: 'auto' } }, '2.30')
      assert.equal(res.status, 202, res.text)
      await arrived(id, 'rm-b', 'RESCUE')
      assert.equal(await cloud.drivers.get('rm-a')!.getDomain(id), null, 'gone from the source')
      const there = await cloud.drivers.get('rm-b')!.getDomain(id)
      assert.equal(there?.rescued, true)
      assert.deepEqual(placed(there), placed(before), 'the rescue disk and the original disks at the same addresses')
      const migration = await cloud.running.database.db.selectFrom('migrations').selectAll().where('instance_uuid', '=', id).executeTakeFirstOrThrow()
      assert.deepEqual([migration.migration_type, migration.status, migration.source_compute, migration.dest_compute], ['live-migration', 'completed', 'rm-a', 'rm-b'])
      const console_ = await act(id, { 'os-getConsoleOutput': { length: null } })
      assert.match(console_.body.output, new RegExp(`rescue image ${rescueImageId} \\(stable\\)`))
      assert.match(console_.body.output, /live migration arrived, rescued/)

      assert.equal((await act(id, { unrescue: { 'lifeboat:discard': true } })).status, 202)
      await arrived(id, 'rm-b', 'ACTIVE')
      const back = await cloud.drivers.get('rm-b')!.getDomain(id)
      assert.equal(back?.rescued, false)
      assert.match(await cloud.drivers.get('rm-b')!.getConsoleOutput(id), /root restored from the pre-rescue snapshot/)
    })

    test('unrescue without discard after a rescued live migration; a failed prepare leaves it RESCUED on its source', async () => {
      const id = await boot('rm-b')
      await rescue(id)
      assert.equal((await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.68')).status, 202)
      await arrived(id, 'rm-a', 'RESCUE')
      assert.equal((await act(id, { unrescue: null })).status, 202)
      await arrived(id, 'rm-a', 'ACTIVE')
      assert.doesNotMatch(await cloud.drivers.get('rm-a')!.getConsoleOutput(id), /root restored/)

      const other = await boot('rm-a')
      await rescue(other)
      cloud.gates.get('rm-b')!.prepareIncomingMigration = async () => { throw new Error('the destination cannot take it') }
      try {
        assert.equal((await act(other, { 'os-migrateLive': { host: 'rm-b', block_migration: 'auto' } }, '2.30')).status, 202)
        await waitUntil(async () => (await cloud.running.database.db.selectFrom('migrations').select('status').where('instance_uuid', '=', other).executeTakeFirst())?.status === 'failed',
          { timeoutMs: 10_000, intervalMs: 50, what: 'the migration failed' })
      } finally {
        delete cloud.gates.get('rm-b')!.prepareIncomingMigration
      }
      await arrived(other, 'rm-a', 'RESCUE')
      assert.equal((await cloud.drivers.get('rm-a')!.getDomain(other))?.rescued, true)
      assert.equal(await cloud.drivers.get('rm-b')!.getDomain(other), null)
    })

    test('evacuate of a RESCUED server: rebuilt on the other host and rescued again there; unrescue boots the rebuilt original', async () => {
      const id = await boot('rm-a')
      await rescue(id)
      const before = await cloud.drivers.get('rm-a')!.getDomain(id)
      await cloud.agents.get('rm-a')!.stop()
      cloud.agents.delete('rm-a')
      const services = (await request('GET', '/os-services?host=rm-a', undefined, '2.53')).body.services
      assert.equal((await request('PUT', `/os-services/${services[0].id}`, { forced_down: true }, '2.53')).status, 200)
      try {
        const res = await act(id, { evacuate: {} }, '2.14')
        assert.equal(res.status, 200, res.text)
        const server = await arrived(id, 'rm-b', 'RESCUE')
        assert.equal(server['OS-EXT-SRV-ATTR:host'], 'rm-b')
        const there = await cloud.drivers.get('rm-b')!.getDomain(id)
        assert.equal(there?.rescued, true)
        assert.deepEqual(placed(there), placed(before), 'rescued again in the same layout')
        assert.match(await cloud.drivers.get('rm-b')!.getConsoleOutput(id), new RegExp(`rescue image ${rescueImageId} \\(stable\\)`))
        const migration = await cloud.running.database.db.selectFrom('migrations').select(['migration_type', 'status']).where('instance_uuid', '=', id).executeTakeFirstOrThrow()
        assert.deepEqual([migration.migration_type, migration.status], ['evacuation', 'done'])
        assert.equal((await act(id, { unrescue: null })).status, 202)
        await arrived(id, 'rm-b', 'ACTIVE')
        assert.equal((await cloud.drivers.get('rm-b')!.getDomain(id))?.rescued, false)
      } finally {
        await request('PUT', `/os-services/${services[0].id}`, { forced_down: false }, '2.53')
        await cloud.startAgent('rm-a')
      }
      assert.equal(await cloud.drivers.get('rm-a')!.getDomain(id), null, 'the dead host destroyed its evacuated guest when it came back')
    })
  })
}
