import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DIALECTS } from '../../helpers/cloud.js'
import { POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { bootOnHost, createImage } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'
import { PowerState } from '../../../src/virt/virt-driver.js'
import { Gate, RestartableCloud } from './restartable-cloud.js'

const C = '/compute/v2.1'

/**
 * Faults during a live migration between two fake-driver agents (lease 3 s):
 * the control plane restarted at each step (the destination preparing, the
 * source sending, the switch made and the destination finishing) leaves the
 * server running on exactly one host and the database naming it; the
 * destination's or the source's agent dying mid-migration fails the
 * migration after a lease and leaves the server on its source.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: live migration faults (control plane restarted, an agent gone)`, { skip }, () => {
    let cloud: RestartableCloud
    let imageId: string
    const request = (method: string, p: string, body?: unknown, microversion?: string) => cloud.admin.request(method, `${C}${p}`, { body, microversion })
    const boot = async (host: string): Promise<string> => (await bootOnHost(cloud.admin, imageId, host, 'lmf')).id as string
    const migrateLive = (id: string, host: string) => request('POST', `/servers/${id}/action`, { 'os-migrateLive': { host, block_migration: 'auto' } }, '2.30')
    const migration = (id: string) => cloud.running.database.db.selectFrom('migrations').selectAll().where('instance_uuid', '=', id).orderBy('id', 'desc').executeTakeFirstOrThrow()
    const hostInDb = async (id: string) => (await cloud.running.database.db.selectFrom('instances').select(['host', 'task_state', 'vm_state']).where('uuid', '=', id).executeTakeFirstOrThrow())
    /** The server ends ACTIVE with no task, running on exactly one host's driver: the one the database names. */
    const runsOnlyOn = async (id: string, host: string, status: string) => {
      await waitUntil(async () => {
        const row = await hostInDb(id)
        return row.task_state === null && row.vm_state === 'active' && row.host === host && (await migration(id)).status === status
      }, { timeoutMs: 20_000, intervalMs: 50, what: `the server active on ${host}, its migration ${status}` })
      const running = []
      for (const [name, driver] of cloud.drivers) if ((await driver.getDomain(id))?.powerState === PowerState.RUNNING) running.push(name)
      assert.deepEqual(running, [host], 'the guest runs on exactly one host')
      const server = (await request('GET', `/servers/${id}`)).body.server
      assert.equal(server.status, 'ACTIVE')
      assert.equal(server['OS-EXT-SRV-ATTR:host'], host)
    }
    /** Holds `operation` on `host` for the next migration, restarts the control plane while it waits, then lets it go. */
    const restartDuring = async (host: string, operation: string, check: (id: string) => Promise<void>) => {
      const id = await boot('lm-a')
      const gate = new Gate()
      cloud.gates.get(host)![operation] = gate.wait
      try {
        assert.equal((await migrateLive(id, 'lm-b')).status, 202)
        await gate.reached
        await check(id)
        await cloud.restartControlPlane()
      } finally {
        delete cloud.gates.get(host)![operation]
        gate.open()
      }
      await runsOnlyOn(id, 'lm-b', 'completed')
    }

    before(async () => {
      cloud = await RestartableCloud.start(dialect, ['lm-a', 'lm-b'], { leaseSeconds: 3 })
      imageId = await createImage(cloud.admin)
    })
    after(async () => {
      await cloud?.close()
    })

    test('restarted while the destination prepares: the prepare\'s result reaches the new process, the migration completes', async () => {
      await restartDuring('lm-b', 'prepareIncomingMigration', async (id) => {
        assert.equal((await migration(id)).status, 'queued')
      })
    })

    test('restarted while the source sends (prepared, migration running): completes on the destination', async () => {
      await restartDuring('lm-a', 'migrateLive', async (id) => {
        assert.equal((await migration(id)).status, 'running')
        assert.equal((await hostInDb(id)).host, 'lm-a')
      })
    })

    test('restarted after the switch, while the destination finishes: the database already names the destination, and it completes there', async () => {
      await restartDuring('lm-b', 'finishIncomingMigration', async (id) => {
        assert.equal((await migration(id)).status, 'post-migrating')
        assert.equal((await hostInDb(id)).host, 'lm-b')
        assert.equal(await cloud.drivers.get('lm-a')!.getDomain(id), null, 'the source let the guest go at the switch')
      })
    })

    test('the destination\'s agent dies while preparing: after a lease the migration failed, the server ACTIVE on its source; lm-b back later takes no guest', async () => {
      const id = await boot('lm-a')
      const gate = new Gate()
      cloud.gates.get('lm-b')!.prepareIncomingMigration = gate.wait
      let stopped: Promise<void> | undefined
      try {
        assert.equal((await migrateLive(id, 'lm-b')).status, 202)
        await gate.reached
        // The agent goes silent with its task leased (no heartbeat, no result), as a killed one.
        stopped = cloud.agents.get('lm-b')!.stop()
        cloud.agents.delete('lm-b')
        await runsOnlyOn(id, 'lm-a', 'failed')
        const allocations = await cloud.running.services.placement.allocationsIn(cloud.running.database.db, id)
        assert.deepEqual(Object.keys(allocations), [cloud.running.services ? (await cloud.running.database.db.selectFrom('compute_services').select('id').where('host', '=', 'lm-a').executeTakeFirstOrThrow()).id : ''])
      } finally {
        delete cloud.gates.get('lm-b')!.prepareIncomingMigration
        gate.open()
        await stopped
      }
      const [last] = (await request('GET', `/servers/${id}/os-instance-actions`, undefined, '2.21')).body.instanceActions
      assert.equal(last.action, 'live-migration')
      await cloud.startAgent('lm-b')
      await waitUntil(async () => (await cloud.drivers.get('lm-b')!.getDomain(id)) === null, { timeoutMs: 10_000, intervalMs: 50, what: 'no guest on lm-b' })
      assert.equal((await hostInDb(id)).host, 'lm-a')
    })

    test('the source\'s agent dies while sending: after a lease the migration failed, the destination removes what it prepared, the server on its source', async () => {
      const id = await boot('lm-a')
      const gate = new Gate()
      // The operation never ends as a success: a killed agent's work dies with it.
      cloud.gates.get('lm-a')!.migrateLive = async () => {
        await gate.wait()
        throw new Error('killed')
      }
      let stopped: Promise<void> | undefined
      try {
        assert.equal((await migrateLive(id, 'lm-b')).status, 202)
        await gate.reached
        assert.ok(await cloud.drivers.get('lm-b')!.getDomain(id), 'the destination prepared the guest')
        stopped = cloud.agents.get('lm-a')!.stop()
        cloud.agents.delete('lm-a')
        await waitUntil(async () => (await migration(id)).status === 'failed', { timeoutMs: 20_000, intervalMs: 50, what: 'the migration failed' })
        await waitUntil(async () => (await cloud.drivers.get('lm-b')!.getDomain(id)) === null, { timeoutMs: 10_000, intervalMs: 50, what: 'the destination aborted' })
        const row = await hostInDb(id)
        assert.deepEqual([row.host, row.task_state, row.vm_state], ['lm-a', null, 'active'])
      } finally {
        delete cloud.gates.get('lm-a')!.migrateLive
        gate.open()
        await stopped
      }
      await cloud.startAgent('lm-a')
      await runsOnlyOn(id, 'lm-a', 'failed')
    })
  })
}
