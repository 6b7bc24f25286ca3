import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { assertAllMatchTempestSchemas, skipWithoutTempest, type TempestCheck } from '../../helpers/tempest-schema.js'
import { insertComputeHost, insertInstance } from './compute-host-fixtures.js'

const S = 'tempest.lib.api_schema.response.compute'
const C = '/compute/v2.1'

describeEachDialect('compute os-services and os-hypervisors', (cloud) => {
  let upId = ''
  let downId = ''
  test('setup: two hosts, one heart-beating and one silent, and instances on the first', async () => {
    upId = await insertComputeHost(cloud(), 'test-host-up')
    downId = await insertComputeHost(cloud(), 'test-host-down', { lastSeenAt: new Date(Date.now() - 120_000).toISOString() })
    await insertInstance(cloud(), cloud().demo.projectId, cloud().demo.userId, 'test-host-up', { vcpus: 2, ram: 1024, disk: 10 })
    await insertInstance(cloud(), cloud().demo.projectId, cloud().demo.userId, 'test-host-up', { vcpus: 1, ram: 512, disk: 1 })
    await insertInstance(cloud(), cloud().demo.projectId, cloud().demo.userId, 'test-host-up', { vcpus: 4, ram: 4096, disk: 40 }, 1)
  })

  test('services: state from the heartbeat, integer ids before 2.53 and uuids after, forced_down from 2.11', async () => {
    const old = await cloud().admin.request('GET', `${C}/os-services`)
    assert.equal(old.status, 200)
    const up = old.body.services.find((s: any) => s.host === 'test-host-up')
    const down = old.body.services.find((s: any) => s.host === 'test-host-down')
    assert.equal(up.state, 'up')
    assert.equal(down.state, 'down')
    assert.equal(up.status, 'enabled')
    assert.equal(up.binary, 'nova-compute')
    assert.equal(up.zone, 'nova')
    assert.equal(typeof up.id, 'number')
    assert.equal('forced_down' in up, false)
    const v211 = await cloud().admin.request('GET', `${C}/os-services?host=test-host-up`, { microversion: '2.11' })
    assert.deepEqual(v211.body.services.map((s: any) => [s.host, s.forced_down]), [['test-host-up', false]])
    const v253 = await cloud().admin.request('GET', `${C}/os-services?binary=nova-compute`, { microversion: '2.53' })
    assert.ok(v253.body.services.some((s: any) => s.id === upId))
  })

  test('PUT /os-services/{uuid} (2.53) disables with a reason, forces down, enables; bad input is 400', async () => {
    const disabled = await cloud().admin.request('PUT', `${C}/os-services/${upId}`, { body: { status: 'disabled', disabled_reason: 'maintenance' }, microversion: '2.53' })
    assert.equal(disabled.status, 200)
    assert.equal(disabled.body.service.status, 'disabled')
    assert.equal(disabled.body.service.disabled_reason, 'maintenance')
    const forced = await cloud().admin.request('PUT', `${C}/os-services/${upId}`, { body: { forced_down: true }, microversion: '2.53' })
    assert.equal(forced.body.service.forced_down, true)
    assert.equal(forced.body.service.state, 'down')
    const enabled = await cloud().admin.request('PUT', `${C}/os-services/${upId}`, { body: { status: 'enabled', forced_down: false }, microversion: '2.53' })
    assert.equal(enabled.body.service.status, 'enabled')
    assert.equal(enabled.body.service.disabled_reason, null)
    assert.equal(enabled.body.service.state, 'up')
    const both = await cloud().admin.request('PUT', `${C}/os-services/${upId}`, { body: { status: 'enabled', disabled_reason: 'x' }, microversion: '2.53' })
    assert.equal(both.body.badRequest.message, "Specifying 'disabled_reason' with status 'enabled' is invalid.")
    const empty = await cloud().admin.request('PUT', `${C}/os-services/${upId}`, { body: {}, microversion: '2.53' })
    assert.equal(empty.status, 400)
    assert.equal((await cloud().admin.request('PUT', `${C}/os-services/not-a-uuid`, { body: { status: 'enabled' }, microversion: '2.53' })).body.badRequest.message, 'Invalid uuid not-a-uuid')
    assert.equal((await cloud().admin.request('PUT', `${C}/os-services/00000000-0000-0000-0000-000000000000`, { body: { status: 'enabled' }, microversion: '2.53' })).status, 404)
    assert.equal((await cloud().demo.request('PUT', `${C}/os-services/${upId}`, { body: { status: 'disabled' }, microversion: '2.53' })).status, 403)
  })

  test('the older PUT /os-services/{action} with host and binary', async () => {
    const disable = await cloud().admin.request('PUT', `${C}/os-services/disable-log-reason`, { body: { host: 'test-host-down', binary: 'nova-compute', disabled_reason: 'old' } })
    assert.deepEqual(disable.body, { service: { host: 'test-host-down', binary: 'nova-compute', status: 'disabled', disabled_reason: 'old' } })
    const enable = await cloud().admin.request('PUT', `${C}/os-services/enable`, { body: { host: 'test-host-down', binary: 'nova-compute' } })
    assert.deepEqual(enable.body, { service: { host: 'test-host-down', binary: 'nova-compute', status: 'enabled' } })
    const forceDown = await cloud().admin.request('PUT', `${C}/os-services/force-down`, { body: { host: 'test-host-down', binary: 'nova-compute', forced_down: false }, microversion: '2.11' })
    assert.deepEqual(forceDown.body, { service: { host: 'test-host-down', binary: 'nova-compute', forced_down: false } })
    assert.equal((await cloud().admin.request('PUT', `${C}/os-services/force-down`, { body: { host: 'test-host-down', binary: 'nova-compute', forced_down: false } })).status, 404)
    assert.equal((await cloud().admin.request('PUT', `${C}/os-services/enable`, { body: { host: 'nowhere', binary: 'nova-compute' } })).status, 404)
    assert.equal((await cloud().admin.request('PUT', `${C}/os-services/enable`, { body: { host: 'test-host-down', binary: 'nova-scheduler' } })).status, 400)
  })

  test('services and hypervisors are admin-only (demo gets 403)', async () => {
    for (const path of ['/os-services', '/os-hypervisors', '/os-hypervisors/detail', '/os-hypervisors/statistics', '/os-availability-zone/detail']) {
      const res = await cloud().demo.request('GET', `${C}${path}`)
      assert.equal(res.status, 403, path)
      assert.equal(res.body.forbidden.code, 403)
    }
  })

  test('hypervisors: list, detail with usage from live instances, show, statistics, search', async () => {
    const list = await cloud().admin.request('GET', `${C}/os-hypervisors`)
    const mine = list.body.hypervisors.find((h: any) => h.hypervisor_hostname === 'test-host-up')
    assert.deepEqual(Object.keys(mine).sort(), ['hypervisor_hostname', 'id', 'state', 'status'])
    const detail = await cloud().admin.request('GET', `${C}/os-hypervisors/detail`, { microversion: '2.53' })
    const d = detail.body.hypervisors.find((h: any) => h.hypervisor_hostname === 'test-host-up')
    assert.equal(d.id, upId)
    assert.equal(d.service.id, upId)
    assert.equal(d.vcpus_used, 3)
    assert.equal(d.memory_mb_used, 1536)
    assert.equal(d.local_gb_used, 11)
    assert.equal(d.running_vms, 2)
    assert.equal(d.free_ram_mb, 16384 - 1536)
    assert.equal(typeof d.cpu_info, 'object')
    const old = await cloud().admin.request('GET', `${C}/os-hypervisors/detail`, { microversion: '2.27' })
    assert.equal(typeof old.body.hypervisors[0].cpu_info, 'string')
    const show = await cloud().admin.request('GET', `${C}/os-hypervisors/${upId}?with_servers=true`, { microversion: '2.53' })
    assert.equal(show.body.hypervisor.servers.length, 2)
    assert.equal((await cloud().admin.request('GET', `${C}/os-hypervisors/nope`, { microversion: '2.53' })).status, 400)
    assert.equal((await cloud().admin.request('GET', `${C}/os-hypervisors/999`)).status, 404)
    const legacy = await cloud().admin.request('GET', `${C}/os-hypervisors/${mine.id}`)
    assert.equal(legacy.body.hypervisor.hypervisor_hostname, 'test-host-up')
    const stats = await cloud().admin.request('GET', `${C}/os-hypervisors/statistics`)
    assert.ok(stats.body.hypervisor_statistics.count >= 2)
    assert.ok(stats.body.hypervisor_statistics.running_vms >= 2)
    const search = await cloud().admin.request('GET', `${C}/os-hypervisors/host-up/search`)
    assert.deepEqual(search.body.hypervisors.map((h: any) => h.hypervisor_hostname), ['test-host-up'])
    const pattern = await cloud().admin.request('GET', `${C}/os-hypervisors?hypervisor_hostname_pattern=host-down`, { microversion: '2.53' })
    assert.deepEqual(pattern.body.hypervisors.map((h: any) => h.id), [downId])
    const page = await cloud().admin.request('GET', `${C}/os-hypervisors?limit=1`, { microversion: '2.33' })
    assert.equal(page.body.hypervisors.length, 1)
    assert.equal(page.body.hypervisors_links[0].rel, 'next')
  })

  test('responses match Tempest schemas (services v2_1/v2_11/v2_53, hypervisors v2_1/v2_28/v2_33/v2_53)', { skip: skipWithoutTempest() }, async () => {
    const checks: TempestCheck[] = []
    const add = (ref: string, res: { status: number; body: unknown }) => checks.push({ ref: `${S}.${ref}`, status: res.status, body: res.body })
    const a = cloud().admin
    add('v2_1.services:list_services', await a.request('GET', `${C}/os-services`))
    add('v2_11.services:list_services', await a.request('GET', `${C}/os-services`, { microversion: '2.11' }))
    add('v2_53.services:list_services', await a.request('GET', `${C}/os-services`, { microversion: '2.53' }))
    add('v2_53.services:list_services', await a.request('GET', `${C}/os-services`, { microversion: '2.87' }))
    add('v2_1.services:enable_disable_service', await a.request('PUT', `${C}/os-services/disable`, { body: { host: 'test-host-down', binary: 'nova-compute' } }))
    add('v2_1.services:disable_log_reason', await a.request('PUT', `${C}/os-services/disable-log-reason`, { body: { host: 'test-host-down', binary: 'nova-compute', disabled_reason: 'r' } }))
    add('v2_11.services:update_forced_down', await a.request('PUT', `${C}/os-services/force-down`, { body: { host: 'test-host-down', binary: 'nova-compute', forced_down: false }, microversion: '2.11' }))
    add('v2_53.services:update_service', await a.request('PUT', `${C}/os-services/${downId}`, { body: { status: 'enabled' }, microversion: '2.53' }))
    for (const [mv, mod] of [['2.1', 'v2_1'], ['2.28', 'v2_28'], ['2.33', 'v2_33'], ['2.53', 'v2_53'], ['2.87', 'v2_53']] as const) {
      add(`${mod}.hypervisors:list_search_hypervisors`, await a.request('GET', `${C}/os-hypervisors`, { microversion: mv }))
      add(`${mod}.hypervisors:list_hypervisors_detail`, await a.request('GET', `${C}/os-hypervisors/detail`, { microversion: mv }))
      add(`${mod}.hypervisors:get_hypervisor_statistics`, await a.request('GET', `${C}/os-hypervisors/statistics`, { microversion: mv }))
      const id = mv >= '2.53' ? upId : (await a.request('GET', `${C}/os-hypervisors`, { microversion: mv })).body.hypervisors[0].id
      add(`${mod}.hypervisors:get_hypervisor`, await a.request('GET', `${C}/os-hypervisors/${id}`, { microversion: mv }))
    }
    add('v2_53.hypervisors:list_search_hypervisors', await a.request('GET', `${C}/os-hypervisors?with_servers=true`, { microversion: '2.53' }))
    add('v2_1.hypervisors:list_search_hypervisors', await a.request('GET', `${C}/os-hypervisors/test-host/search`))
    add('v2_1.hypervisors:get_hypervisors_servers', await a.request('GET', `${C}/os-hypervisors/test-host/servers`))
    assertAllMatchTempestSchemas(checks)
  })
})
