import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { assertAllMatchTempestSchemas, skipWithoutTempest } from '../../helpers/tempest-schema.js'
import { insertComputeHost } from './compute-host-fixtures.js'

const S = 'tempest.lib.api_schema.response.compute.v2_1.availability_zone'
const C = '/compute/v2.1'

describeEachDialect('compute os-availability-zone', (cloud) => {
  test('everyone sees the nova zone, available, without hosts', async () => {
    const zones = await cloud().demo.request('GET', `${C}/os-availability-zone`)
    assert.equal(zones.status, 200)
    assert.deepEqual(zones.body.availabilityZoneInfo, [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }])
  })

  test('the admin detail lists hosts with their service state; demo gets 403', async () => {
    await insertComputeHost(cloud(), 'az-host-up')
    await insertComputeHost(cloud(), 'az-host-down', { lastSeenAt: null })
    const detail = await cloud().admin.request('GET', `${C}/os-availability-zone/detail`)
    const nova = detail.body.availabilityZoneInfo.find((z: any) => z.zoneName === 'nova')
    assert.equal(nova.hosts['az-host-up']['nova-compute'].available, true)
    assert.equal(nova.hosts['az-host-up']['nova-compute'].active, true)
    assert.equal(nova.hosts['az-host-down']['nova-compute'].available, false)
    const demo = await cloud().demo.request('GET', `${C}/os-availability-zone/detail`)
    assert.equal(demo.status, 403)
    assert.equal(demo.body.forbidden.message, "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed.")
  })

  test('responses match Tempest schemas', { skip: skipWithoutTempest() }, async () => {
    const list = await cloud().demo.request('GET', `${C}/os-availability-zone`, { microversion: '2.87' })
    const detail = await cloud().admin.request('GET', `${C}/os-availability-zone/detail`)
    assertAllMatchTempestSchemas([
      { ref: `${S}:list_availability_zone_list`, status: list.status, body: list.body },
      { ref: `${S}:list_availability_zone_list_detail`, status: detail.status, body: detail.body },
    ])
  })
})
