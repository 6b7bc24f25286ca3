import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { createVolume, waitForVolumeStatus } from '../../helpers/compute.js'

describeEachDialect('volume quotas', (cloud) => {
  const V = () => `/volume/v3/${cloud().demo.projectId}`
  const A = () => `/volume/v3/${cloud().admin.projectId}`
  const setQuota = (values: Record<string, unknown>) =>
    cloud().admin.request('PUT', `${A()}/os-quota-sets/${cloud().demo.projectId}`, { body: { quota_set: values } })
  const resetQuota = () => cloud().admin.request('DELETE', `${A()}/os-quota-sets/${cloud().demo.projectId}`)
  const newVolume = (size: number) => cloud().demo.request('POST', `${V()}/volumes`, { body: { volume: { size } } })

  test('quota sets: defaults, show with usage, admin update and delete; members read their own and change nothing', async () => {
    const { projectId } = cloud().demo
    const defaults = await cloud().demo.request('GET', `${V()}/os-quota-sets/${projectId}/defaults`)
    assert.equal(defaults.status, 200)
    assert.deepEqual(defaults.body.quota_set, {
      id: projectId, volumes: 10, snapshots: 10, gigabytes: 1000, backups: 10, backup_gigabytes: 1000, per_volume_gigabytes: -1, groups: 10,
      volumes___DEFAULT__: -1, snapshots___DEFAULT__: -1, gigabytes___DEFAULT__: -1,
    })
    await createVolume(cloud().demo, { size: 2 })
    const put = await setQuota({ volumes: 5, gigabytes: '50' })
    assert.equal(put.status, 200, put.text)
    assert.equal(put.body.quota_set.volumes, 5)
    assert.equal(put.body.quota_set.gigabytes, 50)
    const show = await cloud().demo.request('GET', `${V()}/os-quota-sets/${projectId}?usage=True`)
    assert.equal(show.status, 200)
    assert.deepEqual(show.body.quota_set.volumes, { limit: 5, in_use: 1, reserved: 0 })
    assert.deepEqual(show.body.quota_set.gigabytes, { limit: 50, in_use: 2, reserved: 0 })
    const limits = (await cloud().demo.request('GET', `${V()}/limits`)).body.limits.absolute
    assert.equal(limits.maxTotalVolumes, 5)
    assert.equal(limits.maxTotalVolumeGigabytes, 50)
    assert.equal(limits.maxTotalSnapshots, 10)
    assert.equal(limits.totalVolumesUsed, 1)
    assert.equal(limits.totalGigabytesUsed, 2)

    assert.equal((await cloud().demo.request('PUT', `${V()}/os-quota-sets/${projectId}`, { body: { quota_set: { volumes: 99 } } })).status, 403)
    assert.equal((await cloud().demo.request('DELETE', `${V()}/os-quota-sets/${projectId}`)).status, 403)
    assert.equal((await cloud().demo.request('GET', `${V()}/os-quota-sets/${cloud().admin.projectId}`)).status, 403)
    const bad = await setQuota({ colour: 1 })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.badRequest.message, 'Invalid input received: Bad key(s) in quota set: colour')
    assert.equal((await setQuota({ volumes: -2 })).status, 400)
    const below = await setQuota({ volumes: 0, skip_validation: false })
    assert.equal(below.body.badRequest.message, 'Quota volumes limit must be equal or greater than existing resources. Current usage is 1 and the requested limit is 0.')

    assert.equal((await resetQuota()).status, 200)
    assert.equal((await cloud().demo.request('GET', `${V()}/os-quota-sets/${projectId}`)).body.quota_set.volumes, 10)
  })

  test('volumes, gigabytes, per-volume size and snapshots are refused with 413 and Cinder\'s words', async () => {
    const used = (await cloud().demo.request('GET', `${V()}/os-quota-sets/${cloud().demo.projectId}?usage=True`)).body.quota_set
    await setQuota({ volumes: used.volumes.in_use })
    const volumes = await newVolume(1)
    assert.equal(volumes.status, 413)
    assert.equal(volumes.headers.get('retry-after'), '0')
    assert.deepEqual(volumes.body, { overLimit: { code: 413, message: `Maximum number of volumes allowed (${used.volumes.in_use}) exceeded for quota 'volumes'.` } })
    await setQuota({ volumes: -1, gigabytes: used.gigabytes.in_use + 1 })
    const gigabytes = await newVolume(2)
    assert.equal(gigabytes.status, 413)
    assert.equal(gigabytes.body.overLimit.message,
      `Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is ${used.gigabytes.in_use + 1}G and ${used.gigabytes.in_use}G has been consumed.`)
    await setQuota({ gigabytes: -1, per_volume_gigabytes: 3 })
    assert.equal((await newVolume(4)).body.overLimit.message, 'Requested volume size 4G is larger than maximum allowed limit 3G.')
    const volume = await createVolume(cloud().demo, { size: 3 })
    const extend = await cloud().demo.request('POST', `${V()}/volumes/${volume.id}/action`, { body: { 'os-extend': { new_size: 5 } } })
    assert.equal(extend.status, 413)
    assert.equal((await cloud().demo.request('GET', `${V()}/volumes/${volume.id}`)).body.volume.status, 'available')
    await setQuota({ per_volume_gigabytes: -1, snapshots: 0 })
    const snapshot = await cloud().demo.request('POST', `${V()}/snapshots`, { body: { snapshot: { volume_id: volume.id } } })
    assert.equal(snapshot.status, 413)
    assert.equal(snapshot.body.overLimit.message, 'Maximum number of snapshots allowed (0) exceeded')
    await resetQuota()
  })

  test('concurrent volume creates never exceed the volumes quota', async () => {
    const inUse = (await cloud().demo.request('GET', `${V()}/os-quota-sets/${cloud().demo.projectId}?usage=True`)).body.quota_set.volumes.in_use as number
    await setQuota({ volumes: inUse + 2 })
    const answers = await Promise.all(Array.from({ length: 5 }, () => newVolume(1)))
    assert.deepEqual(answers.map((a) => a.status).sort(), [202, 202, 413, 413, 413])
    for (const a of answers) if (a.status === 202) await waitForVolumeStatus(cloud().demo, a.body.volume.id, 'available')
    await resetQuota()
  })
})
