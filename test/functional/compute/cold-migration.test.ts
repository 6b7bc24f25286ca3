import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DIALECTS } from '../../helpers/cloud.js'
import { POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { waitUntil } from '../../helpers/wait-until.js'
import { bootOnHost, createImage, waitForStatus } from '../../helpers/compute.js'
import { startMultiAgentCloud, type MultiAgentCloud } from './multi-agent-cloud.js'

const C = '/compute/v2.1'

/**
 * `migrate` (cold migration) across three fake-driver agents: a and b work,
 * c fails its side of every cold migration (as destination: the copy; as
 * source: the export), so the rollbacks show.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: cold migration`, { skip }, () => {
    let cloud: MultiAgentCloud
    let imageId: string
    const request = (method: string, path: string, body?: unknown, microversion?: string) => cloud.admin.request(method, `${C}${path}`, { body, microversion })
    const act = (id: string, body: unknown, microversion?: string) => request('POST', `/servers/${id}/action`, body, microversion)
    const boot = async (host: string): Promise<string> => {
      const server = await bootOnHost(cloud.admin, imageId, host)
      assert.equal(server['OS-EXT-SRV-ATTR:host'], host)
      return server.id as string
    }
    const migrations = (id: string) => cloud.running.database.db.selectFrom('migrations').selectAll().where('instance_uuid', '=', id).orderBy('id').execute()
    const migrationReaches = (id: string, status: string) => waitUntil(async () => (await migrations(id)).at(-1)?.status === status || undefined,
      { timeoutMs: 10_000, intervalMs: 20, what: `the migration of ${id} did not reach ${status}` })
    const allocations = (consumer: string) => cloud.running.services.placement.allocationsIn(cloud.running.database.db, consumer)
    const domain = (host: string, id: string) => cloud.drivers.get(host)!.getDomain(id)
    const lastAction = async (id: string) => (await request('GET', `/servers/${id}/os-instance-actions`, undefined, '2.21')).body.instanceActions[0]
    const setDisabled = (host: string, disabled: boolean) => cloud.running.database.db.updateTable('compute_services').set({ disabled: disabled ? 1 : 0 } as never).where('host', '=', host).execute()

    before(async () => {
      cloud = await startMultiAgentCloud(dialect, ['host-a', 'host-b', 'host-c'], undefined, { 'host-c': ['importMigration', 'exportForMigration'] })
      imageId = await createImage(cloud.admin)
    })
    after(async () => {
      await cloud?.close()
    })

    test('2.56 to a named host: VERIFY_RESIZE there, move allocations; os-migrations shows it; confirm drops the source copy', async () => {
      const id = await boot('host-a')
      const res = await act(id, { migrate: { host: 'host-b' } }, '2.56')
      assert.equal(res.status, 202, res.text)
      const server = await waitForStatus(cloud.admin, id, 'VERIFY_RESIZE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-b')
      assert.equal(server['OS-EXT-STS:vm_state'], 'resized')
      const [migration] = await migrations(id)
      assert.equal(migration!.migration_type, 'migration')
      assert.equal(migration!.status, 'finished')
      assert.equal(migration!.source_compute, 'host-a')
      assert.equal(migration!.dest_compute, 'host-b')
      assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-b')])
      assert.deepEqual(Object.keys(await allocations(migration!.uuid)), [cloud.providers.get('host-a')])
      assert.equal((await domain('host-b', id))?.powerState, 1)
      assert.notEqual(await domain('host-a', id), null, 'the source keeps its copy until confirm')
      const listed = await request('GET', `/os-migrations?instance_uuid=${id}`, undefined, '2.23')
      assert.equal(listed.status, 200, listed.text)
      assert.equal(listed.body.migrations[0].migration_type, 'migration')
      assert.equal(listed.body.migrations[0].dest_compute, 'host-b')
      assert.equal((await lastAction(id)).action, 'migrate')

      assert.equal((await act(id, { confirmResize: null })).status, 204)
      await migrationReaches(id, 'confirmed')
      const confirmed = await waitForStatus(cloud.admin, id, 'ACTIVE')
      assert.equal(confirmed['OS-EXT-SRV-ATTR:host'], 'host-b')
      assert.deepEqual(await allocations(migration!.uuid), {})
      assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-b')])
      assert.equal(await domain('host-a', id), null)
    })

    test('revert: the destination copy goes, the server boots on its source again with its allocation', async () => {
      const id = await boot('host-b')
      assert.equal((await act(id, { migrate: { host: 'host-a' } }, '2.56')).status, 202)
      await waitForStatus(cloud.admin, id, 'VERIFY_RESIZE')
      assert.equal((await act(id, { revertResize: null })).status, 202)
      await migrationReaches(id, 'reverted')
      const server = await waitForStatus(cloud.admin, id, 'ACTIVE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-b')
      assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-b')])
      assert.deepEqual(await allocations((await migrations(id))[0]!.uuid), {})
      assert.equal(await domain('host-a', id), null)
      assert.equal((await domain('host-b', id))?.powerState, 1)
    })

    test('deleting a server in VERIFY_RESIZE drops both copies and every allocation', async () => {
      const id = await boot('host-a')
      assert.equal((await act(id, { migrate: { host: 'host-b' } }, '2.56')).status, 202)
      await waitForStatus(cloud.admin, id, 'VERIFY_RESIZE')
      const [migration] = await migrations(id)
      assert.equal((await request('DELETE', `/servers/${id}`)).status, 204)
      // The source's task waits for the destroy (one task per server at a time) and its agent's next poll.
      await waitUntil(async () => ((await domain('host-a', id)) === null && (await domain('host-b', id)) === null) || undefined,
        { timeoutMs: 30_000, intervalMs: 50, what: 'a copy of the deleted server stayed' })
      await waitUntil(async () => (Object.keys(await allocations(id)).length === 0 && Object.keys(await allocations(migration!.uuid)).length === 0) || undefined,
        { timeoutMs: 10_000, intervalMs: 20, what: 'an allocation of the deleted server stayed' })
    })

    test('a stopped server, the scheduler picking (2.1 null body): SHUTOFF after confirm, never booted', async () => {
      await setDisabled('host-c', true)
      try {
        const id = await boot('host-a')
        assert.equal((await act(id, { 'os-stop': null })).status, 202)
        await waitForStatus(cloud.admin, id, 'SHUTOFF')
        assert.equal((await act(id, { migrate: null })).status, 202)
        const server = await waitForStatus(cloud.admin, id, 'VERIFY_RESIZE')
        assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-b')
        assert.notEqual((await domain('host-b', id))?.powerState, 1)
        assert.equal((await act(id, { confirmResize: null })).status, 204)
        await migrationReaches(id, 'confirmed')
        await waitForStatus(cloud.admin, id, 'SHUTOFF')
      } finally {
        await setDisabled('host-c', false)
      }
    })

    test('refusals: 2.56 bodies, same or unknown host, wrong state, unknown server — nothing changes', async () => {
      const id = await boot('host-a')
      const bad = async (body: unknown, microversion: string, status: number, text?: string) => {
        const res = await act(id, { migrate: body }, microversion)
        assert.equal(res.status, status, `${microversion} ${JSON.stringify(body)}: ${res.text}`)
        if (text) assert.ok(res.text.includes(text), res.text)
      }
      await bad({ host: '' }, '2.56', 400)
      await bad({ host: 'a b' }, '2.56', 400)
      await bad({ hots: 'host-b' }, '2.56', 400)
      await bad({ host: 'host-a' }, '2.56', 400, 'Cannot migrate to the host where the server exists.')
      await bad({ host: 'nowhere' }, '2.56', 400, 'Compute host nowhere could not be found.')
      assert.equal((await act(id, { pause: null })).status, 202)
      await waitForStatus(cloud.admin, id, 'PAUSED')
      await bad(null, '2.56', 409, `Cannot 'migrate' instance ${id} while it is in vm_state paused`)
      assert.equal((await migrations(id)).length, 0)
      assert.equal((await act('00000000-0000-4000-8000-000000000000', { migrate: null })).status, 404)
    })

    test('no valid host (the asked host disabled): 202, the action and migration in error, the server as it was', async () => {
      await setDisabled('host-c', true)
      try {
        const id = await boot('host-a')
        assert.equal((await act(id, { migrate: { host: 'host-c' } }, '2.56')).status, 202)
        const server = await waitForStatus(cloud.admin, id, 'ACTIVE')
        assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-a')
        assert.equal((await migrations(id))[0]!.status, 'error')
        const action = await lastAction(id)
        assert.equal(action.action, 'migrate')
        assert.equal(action.message, 'Error')
        const faults = await cloud.running.database.db.selectFrom('instance_faults').select('message').where('instance_uuid', '=', id).execute()
        assert.deepEqual(faults.map((f) => f.message), ['No valid host was found. No valid host found for cold migrate'])
        assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-a')])
      } finally {
        await setDisabled('host-c', false)
      }
    })

    test('the destination fails: back on the source, running, migration error, no allocation leaked', async () => {
      const id = await boot('host-a')
      assert.equal((await act(id, { migrate: { host: 'host-c' } }, '2.56')).status, 202)
      await migrationReaches(id, 'error')
      const server = await waitForStatus(cloud.admin, id, 'ACTIVE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-a')
      await waitUntil(async () => (await domain('host-a', id))?.powerState === 1 || undefined, { timeoutMs: 10_000, intervalMs: 20, what: 'the source did not boot again' })
      assert.equal(await domain('host-c', id), null)
      assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-a')])
      assert.deepEqual(await allocations((await migrations(id))[0]!.uuid), {})
    })

    test('the source fails to export: the server stays ACTIVE where it was', async () => {
      const id = await boot('host-c')
      assert.equal((await act(id, { migrate: { host: 'host-a' } }, '2.56')).status, 202)
      await migrationReaches(id, 'error')
      const server = await waitForStatus(cloud.admin, id, 'ACTIVE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-c')
      assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-c')])
    })

    test('beyond Nova: a RESCUED server arrives rescued, is confirmed on arrival, and unrescues there', async () => {
      const id = await boot('host-a')
      assert.equal((await act(id, { rescue: null })).status, 200)
      await waitForStatus(cloud.admin, id, 'RESCUE')
      assert.equal((await act(id, { migrate: { host: 'host-b' } }, '2.56')).status, 202)
      await migrationReaches(id, 'confirmed')
      const server = await waitForStatus(cloud.admin, id, 'RESCUE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], 'host-b')
      assert.equal(server['OS-EXT-STS:vm_state'], 'rescued')
      const arrived = await domain('host-b', id)
      assert.equal(arrived?.rescued, true)
      assert.equal(arrived?.powerState, 1)
      assert.equal(await domain('host-a', id), null)
      assert.deepEqual(Object.keys(await allocations(id)), [cloud.providers.get('host-b')])
      assert.deepEqual(await allocations((await migrations(id))[0]!.uuid), {})
      assert.equal((await act(id, { unrescue: null })).status, 202)
      const unrescued = await waitForStatus(cloud.admin, id, 'ACTIVE')
      assert.equal(unrescued['OS-EXT-SRV-ATTR:host'], 'host-b')
      assert.equal((await domain('host-b', id))?.rescued, false)
    })
  })
}
