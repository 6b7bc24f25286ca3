import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { insertComputeHost, insertInstance } from './compute-host-fixtures.js'

const C = '/compute/v2.1'

describeEachDialect('server host_status (2.16, admins): one rule for "up" with os-services', (cloud) => {
  const servers: Record<string, string> = {}

  test('setup: hosts heard from now, 45 s ago, 61 s ago, disabled, forced down; servers on each, on an unknown host and on none', async () => {
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString()
    await insertComputeHost(cloud(), 'hs-up')
    await insertComputeHost(cloud(), 'hs-recent', { lastSeenAt: ago(45) })
    // 45, not 59: the steps between this insert and the reads take seconds on a loaded machine.
    await insertComputeHost(cloud(), 'hs-late', { lastSeenAt: ago(61) })
    await insertComputeHost(cloud(), 'hs-never', { lastSeenAt: null })
    await insertComputeHost(cloud(), 'hs-disabled')
    await insertComputeHost(cloud(), 'hs-forced')
    await cloud().running.database.db.updateTable('compute_services').set({ disabled: 1 }).where('host', '=', 'hs-disabled').execute()
    await cloud().running.database.db.updateTable('compute_services').set({ forced_down: 1 }).where('host', '=', 'hs-forced').execute()
    const { projectId, userId } = cloud().demo
    for (const host of ['hs-up', 'hs-recent', 'hs-late', 'hs-never', 'hs-disabled', 'hs-forced', 'hs-unknown']) {
      servers[host] = await insertInstance(cloud(), projectId, userId, host, { vcpus: 1, ram: 64, disk: 1 })
    }
    servers.none = await insertInstance(cloud(), projectId, userId, null, { vcpus: 1, ram: 64, disk: 1 })
  })

  test('show and detail agree with os-services: UP, DOWN, MAINTENANCE, UNKNOWN, empty without a host', async () => {
    const expected: Record<string, string> = {
      'hs-up': 'UP', 'hs-recent': 'UP', 'hs-late': 'DOWN', 'hs-never': 'DOWN', 'hs-disabled': 'MAINTENANCE', 'hs-forced': 'DOWN', 'hs-unknown': 'UNKNOWN', none: '',
    }
    for (const [host, status] of Object.entries(expected)) {
      const shown = await cloud().admin.request('GET', `${C}/servers/${servers[host]}`, { microversion: '2.16' })
      assert.equal(shown.status, 200)
      assert.equal(shown.body.server.host_status, status, host)
    }
    const detail = await cloud().admin.request('GET', `${C}/servers/detail?all_tenants=1`, { microversion: '2.16' })
    for (const [host, status] of Object.entries(expected)) {
      assert.equal(detail.body.servers.find((s: any) => s.id === servers[host]).host_status, status, host)
    }
    const services = await cloud().admin.request('GET', `${C}/os-services`)
    const state = (host: string) => services.body.services.find((s: any) => s.host === host).state
    assert.deepEqual(['hs-up', 'hs-recent', 'hs-late', 'hs-never', 'hs-forced'].map(state), ['up', 'up', 'down', 'down', 'down'])
  })

  test('not shown before 2.16, nor to a non-admin', async () => {
    const old = await cloud().admin.request('GET', `${C}/servers/${servers['hs-up']}`, { microversion: '2.15' })
    assert.equal('host_status' in old.body.server, false)
    const demo = await cloud().demo.request('GET', `${C}/servers/${servers['hs-up']}`, { microversion: '2.16' })
    assert.equal(demo.status, 200)
    assert.equal('host_status' in demo.body.server, false)
  })
})
