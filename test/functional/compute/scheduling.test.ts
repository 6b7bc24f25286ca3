import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DIALECTS } from '../../helpers/cloud.js'
import { POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { createImage, waitForStatus } from '../../helpers/compute.js'
import { startMultiAgentCloud, type MultiAgentCloud } from './multi-agent-cloud.js'

const C = '/compute/v2.1'

/**
 * Scheduling across three fake-driver agents (a, b, c: 4 VCPU, 4096 MB at
 * ratio 1.5, 40 GB each). The tests run in order and build on each other's
 * servers: c is the zone `az-c`, a and b the default zone.
 */
for (const dialect of DIALECTS) {
  const skip = dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres') : false
  describe(`${dialect}: scheduling across hosts`, { skip }, () => {
    let cloud: MultiAgentCloud
    let imageId: string
    const hostCount = new Map<string, number>()
    const request = (method: string, path: string, body?: unknown, microversion?: string) => cloud.admin.request(method, `${C}${path}`, { body, microversion })
    /** Boots one server and waits for it; returns its host (or null when it went to ERROR) and zone. */
    const boot = async (extra: Record<string, unknown> = {}): Promise<{ id: string; host: string | null; zone: string; fault?: string }> => {
      const res = await request('POST', '/servers', { server: { name: 'vm', imageRef: imageId, flavorRef: '1', networks: 'none', ...extra } }, '2.37')
      assert.equal(res.status, 202, res.text)
      const id = res.body.server.id as string
      for (let i = 0; i < 200; i++) {
        const server = (await request('GET', `/servers/${id}`)).body.server
        if (server.status === 'ERROR') return { id, host: null, zone: server['OS-EXT-AZ:availability_zone'], fault: server.fault?.message }
        if (server.status === 'ACTIVE') {
          const host = server['OS-EXT-SRV-ATTR:host'] as string
          hostCount.set(host, (hostCount.get(host) ?? 0) + 1)
          return { id, host, zone: server['OS-EXT-AZ:availability_zone'] }
        }
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      assert.fail(`server ${id} never settled`)
    }
    const flavor = async (name: string, ram: number, specs: Record<string, string> = {}): Promise<string> => {
      const made = await request('POST', '/flavors', { flavor: { name, ram, vcpus: 1, disk: 1 } })
      assert.equal(made.status, 200, made.text)
      if (Object.keys(specs).length > 0) assert.equal((await request('POST', `/flavors/${made.body.flavor.id}/os-extra_specs`, { extra_specs: specs })).status, 200)
      return made.body.flavor.id as string
    }
    const aggregate = async (name: string, zone?: string): Promise<{ id: number; uuid: string }> => {
      const res = await request('POST', '/os-aggregates', { aggregate: { name, ...(zone ? { availability_zone: zone } : {}) } }, '2.41')
      assert.equal(res.status, 200, res.text)
      return res.body.aggregate
    }

    before(async () => {
      cloud = await startMultiAgentCloud(dialect, ['host-a', 'host-b', 'host-c'])
      imageId = await createImage(cloud.admin)
      const unlimited = await request('PUT', `/os-quota-sets/${cloud.admin.projectId}`, { quota_set: { instances: -1, cores: -1, ram: -1 } })
      assert.equal(unlimited.status, 200, unlimited.text)
    })
    after(async () => {
      await cloud?.close()
    })

    test('an availability zone from aggregate metadata: only its hosts, mirrored into placement, listed with its hosts', async () => {
      const agg = await aggregate('rack-c', 'az-c')
      const added = await request('POST', `/os-aggregates/${agg.id}/action`, { add_host: { host: 'host-c' } })
      assert.equal(added.status, 200, added.text)
      assert.deepEqual(added.body.aggregate.hosts, ['host-c'])
      const inPlacement = await cloud.admin.request('GET', `/placement/resource_providers/${cloud.providers.get('host-c')}/aggregates`, { microversion: '1.19' })
      assert.deepEqual(inPlacement.body.aggregates, [agg.uuid])
      const zones = (await request('GET', '/os-availability-zone/detail')).body.availabilityZoneInfo as Array<{ zoneName: string; hosts: Record<string, unknown> }>
      assert.deepEqual(Object.keys(zones.find((z) => z.zoneName === 'az-c')!.hosts), ['host-c'])
      assert.deepEqual(Object.keys(zones.find((z) => z.zoneName === 'nova')!.hosts).sort(), ['host-a', 'host-b'])

      for (let i = 0; i < 2; i++) assert.deepEqual((({ host, zone }) => ({ host, zone }))(await boot({ availability_zone: 'az-c' })), { host: 'host-c', zone: 'az-c' })
      const unknown = await request('POST', '/servers', { server: { name: 'vm', imageRef: imageId, flavorRef: '1', networks: 'none', availability_zone: 'az-x' } }, '2.37')
      assert.equal(unknown.status, 400)
      assert.equal(unknown.body.badRequest.message, 'The requested availability zone is not available')
    })

    test('four servers over two equal hosts spread 2/2 (RAM, disk and CPU weighers)', async () => {
      const placed = []
      for (let i = 0; i < 4; i++) placed.push(await boot({ availability_zone: 'nova' }))
      assert.deepEqual(placed.map((p) => p.zone), ['nova', 'nova', 'nova', 'nova'])
      assert.deepEqual(placed.map((p) => p.host).sort(), ['host-a', 'host-a', 'host-b', 'host-b'])
    })

    test('without a zone the emptiest host wins, and the server takes its zone', async () => {
      // a and b hold 2 servers each, c holds 2 as well: free the way for c by one more on a and b.
      assert.equal((await boot({ availability_zone: 'nova' })).host !== null, true)
      assert.equal((await boot({ availability_zone: 'nova' })).host !== null, true)
      assert.deepEqual([hostCount.get('host-a'), hostCount.get('host-b'), hostCount.get('host-c')], [3, 3, 2])
      const free = await boot()
      assert.equal(free.host, 'host-c')
      assert.equal(free.zone, 'az-c')
    })

    test('AggregateInstanceExtraSpecsFilter: a flavor scoped to aggregate metadata goes only where it matches', async () => {
      const fast = await aggregate('fast')
      assert.equal((await request('POST', `/os-aggregates/${fast.id}/action`, { add_host: { host: 'host-b' } })).status, 200)
      const meta = await request('POST', `/os-aggregates/${fast.id}/action`, { set_metadata: { metadata: { ssd: 'true', tier: 'gold,silver' } } })
      assert.equal(meta.status, 200, meta.text)
      assert.deepEqual(meta.body.aggregate.metadata, { ssd: 'true', tier: 'gold,silver' })
      const ssd = await flavor('ssd', 512, { 'aggregate_instance_extra_specs:ssd': 'true', 'aggregate_instance_extra_specs:tier': '<or> silver <or> bronze' })
      assert.equal((await boot({ flavorRef: ssd, availability_zone: 'nova' })).host, 'host-b')
      const spinning = await flavor('spinning', 512, { 'aggregate_instance_extra_specs:ssd': 'false' })
      const refused = await boot({ flavorRef: spinning })
      assert.equal(refused.host, null)
      assert.match(refused.fault ?? '', /No valid host was found/)
    })

    test('a disabled host is skipped however empty it is', async () => {
      // a: 3 servers, b: 4: a would win.
      const services = (await request('GET', '/os-services?binary=nova-compute', undefined, '2.53')).body.services as Array<{ id: string; host: string }>
      const a = services.find((s) => s.host === 'host-a')!
      assert.equal((await request('PUT', `/os-services/${a.id}`, { status: 'disabled' }, '2.53')).status, 200)
      try {
        assert.equal((await boot({ availability_zone: 'nova' })).host, 'host-b')
      } finally {
        assert.equal((await request('PUT', `/os-services/${a.id}`, { status: 'enabled' }, '2.53')).status, 200)
      }
    })

    test('capacity: a full host gives way to the next, and with none left the boot fails', async () => {
      // 6144 MB each (4096 × 1.5); a holds 3 × 512, b 5 × 512: one 3500 MB server fits on each, not two.
      const big = await flavor('big', 3500)
      const first = await boot({ flavorRef: big, availability_zone: 'nova' })
      const second = await boot({ flavorRef: big, availability_zone: 'nova' })
      assert.deepEqual([first.host, second.host].sort(), ['host-a', 'host-b'])
      const third = await boot({ flavorRef: big, availability_zone: 'nova' })
      assert.equal(third.host, null)
      assert.match(third.fault ?? '', /No valid host was found/)
    })

    test('placement usages are the sum of the live servers\' flavors, per host', async () => {
      const db = cloud.running.database.db
      const rows = await db.selectFrom('instances').select(['host', 'flavor']).where('deleted', '=', 0).where('host', 'is not', null).execute()
      for (const [host, provider] of cloud.providers) {
        const expected = { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 }
        for (const row of rows.filter((r) => r.host === host)) {
          const f = JSON.parse(row.flavor) as { vcpus: number; ram: number; disk: number }
          expected.VCPU += f.vcpus
          expected.MEMORY_MB += f.ram
          expected.DISK_GB += f.disk
        }
        const usages = await cloud.admin.request('GET', `/placement/resource_providers/${provider}/usages`)
        assert.deepEqual(usages.body.usages, expected, host)
      }
    })
  })
}
