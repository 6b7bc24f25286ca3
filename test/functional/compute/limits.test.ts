import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { assertAllMatchTempestSchemas, skipWithoutTempest, type TempestCheck } from '../../helpers/tempest-schema.js'
import { insertInstance } from './compute-host-fixtures.js'

const S = 'tempest.lib.api_schema.response.compute'
const C = '/compute/v2.1'

describeEachDialect('compute limits', (cloud) => {
  test("usage counts the project's live instances and their flavors only", async () => {
    const { projectId, userId } = cloud().demo
    await insertInstance(cloud(), projectId, userId, null, { vcpus: 2, ram: 2048, disk: 20 })
    await insertInstance(cloud(), projectId, userId, null, { vcpus: 1, ram: 512, disk: 1 })
    await insertInstance(cloud(), projectId, userId, null, { vcpus: 8, ram: 8192, disk: 80 }, 1)
    await insertInstance(cloud(), cloud().admin.projectId, cloud().admin.userId, null, { vcpus: 4, ram: 4096, disk: 40 })
    const res = await cloud().demo.request('GET', `${C}/limits`)
    assert.equal(res.status, 200)
    const a = res.body.limits.absolute
    assert.deepEqual(res.body.limits.rate, [])
    assert.equal(a.totalInstancesUsed, 2)
    assert.equal(a.totalCoresUsed, 3)
    assert.equal(a.totalRAMUsed, 2560)
    assert.equal(a.maxTotalInstances, 10)
    assert.equal(a.maxTotalCores, 20)
    assert.equal(a.maxTotalRAMSize, 51200)
    assert.equal(a.maxTotalKeypairs, 100)
    assert.equal(a.maxServerMeta, 128)
    assert.equal(a.maxImageMeta, 128)
    assert.equal(a.maxPersonality, 5)
    assert.equal(a.maxPersonalitySize, 10240)
    assert.equal(a.maxSecurityGroups, 10)
    assert.equal(a.maxTotalFloatingIps, 10)
  })

  test('fields leave as Nova drops them: network at 2.36, maxImageMeta at 2.39, personality at 2.57', async () => {
    const keys = async (mv: string) => Object.keys((await cloud().demo.request('GET', `${C}/limits`, { microversion: mv })).body.limits.absolute)
    assert.ok((await keys('2.35')).includes('maxSecurityGroups'))
    assert.ok(!(await keys('2.36')).includes('maxSecurityGroups'))
    assert.ok(!(await keys('2.36')).includes('totalFloatingIpsUsed'))
    assert.ok((await keys('2.38')).includes('maxImageMeta'))
    assert.ok(!(await keys('2.39')).includes('maxImageMeta'))
    assert.ok((await keys('2.56')).includes('maxPersonality'))
    assert.ok(!(await keys('2.57')).includes('maxPersonality'))
    assert.ok(!(await keys('2.57')).includes('maxPersonalitySize'))
  })

  test("admins may read another project's limits with tenant_id; demo may not (403)", async () => {
    const admin = await cloud().admin.request('GET', `${C}/limits?tenant_id=${cloud().demo.projectId}`)
    assert.equal(admin.body.limits.absolute.totalInstancesUsed, 2)
    const demo = await cloud().demo.request('GET', `${C}/limits?tenant_id=${cloud().admin.projectId}`)
    assert.equal(demo.status, 403)
    assert.equal((await cloud().demo.request('GET', `${C}/limits?colour=red`, { microversion: '2.75' })).status, 400)
  })

  test('responses match Tempest schemas (v2_1, v2_36, v2_39, v2_57)', { skip: skipWithoutTempest() }, async () => {
    const checks: TempestCheck[] = []
    for (const [mv, mod] of [['2.1', 'v2_1'], ['2.35', 'v2_1'], ['2.36', 'v2_36'], ['2.38', 'v2_36'], ['2.39', 'v2_39'], ['2.56', 'v2_39'], ['2.57', 'v2_57'], ['2.87', 'v2_57']]) {
      const res = await cloud().demo.request('GET', `${C}/limits`, { microversion: mv })
      checks.push({ ref: `${S}.${mod}.limits:get_limit`, status: res.status, body: res.body })
    }
    assertAllMatchTempestSchemas(checks)
  })
})
