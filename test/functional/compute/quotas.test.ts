import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect, type Session } from '../../helpers/cloud.js'
import { createImage, createVolume } from '../../helpers/compute.js'

const C = '/compute/v2.1'

/** POST /servers as `session` (answer not checked). */
function create(session: Session, server: Record<string, unknown>, microversion?: string) {
  return session.request('POST', `${C}/servers`, { body: { server: { flavorRef: '1', name: 'q', ...server } }, microversion })
}

describeEachDialect('compute quotas and stalls', (cloud) => {
  let imageId = ''
  const setQuota = (values: Record<string, unknown>, microversion?: string) =>
    cloud().admin.request('PUT', `${C}/os-quota-sets/${cloud().demo.projectId}`, { body: { quota_set: values }, microversion })
  const resetQuota = () => cloud().admin.request('DELETE', `${C}/os-quota-sets/${cloud().demo.projectId}`)
  const used = async () => (await cloud().demo.request('GET', `${C}/os-quota-sets/${cloud().demo.projectId}/detail`)).body.quota_set

  test('a pathological name filter answers correctly while another request is answered too', async () => {
    imageId = await createImage(cloud().admin)
    const name = `${'a'.repeat(30)}!`
    assert.equal((await create(cloud().demo, { name, imageRef: imageId })).status, 202)
    const [evil, other] = await Promise.all([
      cloud().demo.request('GET', `${C}/servers?name=^(a%2B)%2B$`),
      cloud().demo.request('GET', `${C}/servers?name=^a%2B!$`),
    ])
    assert.equal(evil.status, 200)
    assert.deepEqual(evil.body.servers, [])
    assert.equal(other.status, 200)
    assert.deepEqual(other.body.servers.map((s: { name: string }) => s.name), [name])
    // Still a search, as Nova's regexp filter: a part of the name matches.
    assert.equal((await cloud().demo.request('GET', `${C}/servers?name=a!`)).body.servers.length, 1)
    assert.equal((await cloud().demo.request('GET', `${C}/servers?name=(`)).status, 400)
  })

  test('os-quota-sets: defaults, show, detail, admin update and delete; members may read their own and change nothing', async () => {
    const { projectId } = cloud().demo
    const defaults = await cloud().demo.request('GET', `${C}/os-quota-sets/${projectId}/defaults`)
    assert.equal(defaults.status, 200)
    assert.deepEqual(defaults.body.quota_set, {
      id: projectId, instances: 10, cores: 20, ram: 51200, metadata_items: 128, injected_files: 5, injected_file_content_bytes: 10240,
      injected_file_path_bytes: 255, key_pairs: 100, server_groups: 10, server_group_members: 10, floating_ips: 10, fixed_ips: -1,
      security_groups: 10, security_group_rules: 20,
    })
    const put = await setQuota({ instances: 50, cores: '60' })
    assert.equal(put.status, 200, put.text)
    assert.equal(put.body.quota_set.id, undefined)
    assert.equal(put.body.quota_set.instances, 50)
    assert.equal(put.body.quota_set.cores, 60)
    const show = await cloud().demo.request('GET', `${C}/os-quota-sets/${projectId}`)
    assert.equal(show.body.quota_set.id, projectId)
    assert.equal(show.body.quota_set.instances, 50)
    const detail = await used()
    assert.deepEqual(detail.instances, { limit: 50, in_use: 1, reserved: 0 })
    assert.deepEqual(detail.cores, { limit: 60, in_use: 1, reserved: 0 })
    const limits = (await cloud().demo.request('GET', `${C}/limits`)).body.limits.absolute
    assert.equal(limits.maxTotalInstances, 50)
    assert.equal(limits.maxTotalCores, 60)
    assert.equal(limits.totalInstancesUsed, 1)

    assert.equal((await cloud().demo.request('PUT', `${C}/os-quota-sets/${projectId}`, { body: { quota_set: { instances: 99 } } })).status, 403)
    assert.equal((await cloud().demo.request('DELETE', `${C}/os-quota-sets/${projectId}`)).status, 403)
    assert.equal((await cloud().demo.request('GET', `${C}/os-quota-sets/${cloud().admin.projectId}`)).status, 403)
    assert.equal((await cloud().admin.request('GET', `${C}/os-quota-sets/no-such-project`)).status, 400)

    const below = await setQuota({ instances: 0 })
    assert.equal(below.status, 400)
    assert.equal(below.body.badRequest.message, 'Quota limit 0 for instances must be greater than or equal to already used and reserved 1.')
    assert.equal((await setQuota({ instances: 0, force: true })).status, 200)
    assert.equal((await setQuota({ instances: -2 })).status, 400)
    assert.equal((await setQuota({ colour: 1 })).status, 400)

    assert.equal((await resetQuota()).status, 202)
    assert.equal((await cloud().demo.request('GET', `${C}/os-quota-sets/${projectId}`)).body.quota_set.instances, 10)
  })

  test('quota sets drop network quotas at 2.36 and injected files at 2.57, and refuse them in a PUT', async () => {
    const { projectId } = cloud().demo
    const keys = async (mv: string) => Object.keys((await cloud().demo.request('GET', `${C}/os-quota-sets/${projectId}`, { microversion: mv })).body.quota_set)
    assert.ok((await keys('2.35')).includes('security_groups'))
    assert.ok(!(await keys('2.36')).includes('security_groups'))
    assert.ok(!(await keys('2.36')).includes('fixed_ips'))
    assert.ok((await keys('2.56')).includes('injected_files'))
    assert.ok(!(await keys('2.57')).includes('injected_files'))
    assert.ok(!(await keys('2.57')).includes('injected_file_path_bytes'))
    assert.equal((await setQuota({ security_groups: 5 }, '2.36')).status, 400)
    assert.equal((await setQuota({ injected_files: 5 }, '2.57')).status, 400)
    assert.equal((await setQuota({ injected_files: 5 }, '2.56')).status, 200)
    await resetQuota()
  })

  test('max_count beyond the instance quota is reduced to what fits; min_count beyond it is 403 with Nova\'s words', async () => {
    const inUse = (await used()).instances.in_use as number
    await setQuota({ instances: inUse + 2 })
    const refused = await create(cloud().demo, { imageRef: imageId, min_count: 3, max_count: 3 })
    assert.equal(refused.status, 403)
    assert.deepEqual(refused.body, { forbidden: { code: 403, message: `Quota exceeded for instances: Requested 3, but already used ${inUse} of ${inUse + 2} instances` } })
    const range = await create(cloud().demo, { imageRef: imageId, min_count: 3, max_count: 20000 })
    // Nova lists every quota the whole request would pass, sorted, with max_count × the flavor for cores and RAM.
    assert.equal(range.body.forbidden.message,
      `Quota exceeded for cores, instances, ram: Requested 20000, 3-20000, 10240000, but already used ${inUse}, ${inUse}, ${inUse * 512} of 20, ${inUse + 2}, 51200 cores, instances, ram`)
    const reduced = await create(cloud().demo, { imageRef: imageId, min_count: 1, max_count: 20000, return_reservation_id: true })
    assert.equal(reduced.status, 202, reduced.text)
    const mine = await cloud().demo.request('GET', `${C}/servers?reservation_id=${reduced.body.reservation_id}`)
    assert.equal(mine.body.servers.length, 2)
    assert.equal((await used()).instances.in_use, inUse + 2)
    const full = await create(cloud().demo, { imageRef: imageId })
    assert.equal(full.body.forbidden.message, `Quota exceeded for instances: Requested 1, but already used ${inUse + 2} of ${inUse + 2} instances`)
    await resetQuota()
  })

  test('cores and RAM quotas refuse as Nova does', async () => {
    const detail = await used()
    await setQuota({ cores: detail.cores.in_use, ram: -1, force: true })
    const cores = await create(cloud().demo, { imageRef: imageId })
    assert.equal(cores.status, 403)
    assert.equal(cores.body.forbidden.message, `Quota exceeded for cores: Requested 1, but already used ${detail.cores.in_use} of ${detail.cores.in_use} cores`)
    await setQuota({ cores: -1, ram: detail.ram.in_use + 100 })
    const ram = await create(cloud().demo, { imageRef: imageId, min_count: 2 })
    assert.equal(ram.body.forbidden.message, `Quota exceeded for ram: Requested 1024, but already used ${detail.ram.in_use} of ${detail.ram.in_use + 100} ram`)
    await resetQuota()
  })

  test('concurrent creates never exceed the instance quota', async () => {
    const inUse = (await used()).instances.in_use as number
    await setQuota({ instances: inUse + 3 })
    const answers = await Promise.all(Array.from({ length: 6 }, () => create(cloud().demo, { imageRef: imageId })))
    assert.deepEqual(answers.map((a) => a.status).sort(), [202, 202, 202, 403, 403, 403])
    assert.equal((await used()).instances.in_use, inUse + 3)
    await resetQuota()
  })

  test('metadata items and keypairs are bounded by their quotas; counts must be positive', async () => {
    await setQuota({ metadata_items: 1 })
    const meta = await create(cloud().demo, { imageRef: imageId, metadata: { a: '1', b: '2' } })
    assert.deepEqual(meta.body, { forbidden: { code: 403, message: 'Maximum number of metadata items exceeds 1' } })
    const keypairs = (await cloud().demo.request('GET', `${C}/os-keypairs`)).body.keypairs.length as number
    await setQuota({ key_pairs: keypairs, force: true })
    const keypair = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'one-too-many' } } })
    assert.equal(keypair.status, 403)
    assert.equal(keypair.body.forbidden.message, 'Quota exceeded, too many key pairs.')
    await resetQuota()
    assert.equal((await create(cloud().demo, { imageRef: imageId, min_count: 0 })).status, 400)
    assert.equal((await create(cloud().demo, { imageRef: imageId, max_count: -1 })).status, 400)
    const inverted = await create(cloud().demo, { imageRef: imageId, min_count: 2, max_count: 1 })
    assert.equal(inverted.status, 400)
    assert.equal(inverted.body.badRequest.message, 'min_count must be <= max_count')
  })

  test('a boot volume from a missing or another project\'s snapshot, image or volume is a 400 at create', async () => {
    const missing = '8d7c3a8e-0000-4000-8000-000000000000'
    const bdm = (source: string, uuid: string) => ({ block_device_mapping_v2: [{ source_type: source, destination_type: 'volume', uuid, boot_index: 0, volume_size: 1 }] })
    const snapshot = await create(cloud().demo, bdm('snapshot', missing))
    assert.deepEqual(snapshot.body, { badRequest: { code: 400, message: `Block Device Mapping is Invalid: failed to get snapshot ${missing}.` } })
    const image = await create(cloud().demo, bdm('image', missing))
    assert.deepEqual(image.body, { badRequest: { code: 400, message: `Block Device Mapping is Invalid: failed to get image ${missing}.` } })
    const volume = await create(cloud().demo, bdm('volume', missing))
    assert.deepEqual(volume.body, { badRequest: { code: 400, message: `Block Device Mapping is Invalid: failed to get volume ${missing}.` } })
    const adminVolume = await createVolume(cloud().admin, { name: 'not-yours' })
    const other = await create(cloud().demo, bdm('volume', adminVolume.id))
    assert.equal(other.body.badRequest.message, `Block Device Mapping is Invalid: failed to get volume ${adminVolume.id}.`)
    const snap = await cloud().admin.request('POST', `/volume/v3/${cloud().admin.projectId}/snapshots`, { body: { snapshot: { volume_id: adminVolume.id } } })
    assert.equal(snap.status, 202, snap.text)
    const otherSnapshot = await create(cloud().demo, bdm('snapshot', snap.body.snapshot.id))
    assert.equal(otherSnapshot.body.badRequest.message, `Block Device Mapping is Invalid: failed to get snapshot ${snap.body.snapshot.id}.`)
    const privateImage = await createImage(cloud().admin, { visibility: 'private' })
    const otherImage = await create(cloud().demo, bdm('image', privateImage))
    assert.equal(otherImage.body.badRequest.message, `Block Device Mapping is Invalid: failed to get image ${privateImage}.`)
  })

  test('lists are capped at max_limit; instance actions page from 2.58 with a next link', async () => {
    assert.equal((await cloud().demo.request('GET', `${C}/servers?limit=5000`)).status, 200)
    assert.equal((await cloud().demo.request('GET', `${C}/flavors?limit=5000`)).status, 200)
    const server = await create(cloud().demo, { imageRef: imageId, name: 'actions' })
    const id = server.body.server.id
    assert.equal((await cloud().demo.request('POST', `${C}/servers/${id}/metadata`, { body: { metadata: { a: '1' } } })).status, 200)
    await cloud().admin.request('POST', `${C}/servers/${id}/action`, { body: { lock: null } })
    await cloud().admin.request('POST', `${C}/servers/${id}/action`, { body: { unlock: null } })
    const all = await cloud().demo.request('GET', `${C}/servers/${id}/os-instance-actions`, { microversion: '2.58' })
    assert.equal(all.status, 200)
    assert.ok(all.body.instanceActions.length >= 2)
    assert.equal(all.body.links, undefined)
    const first = await cloud().demo.request('GET', `${C}/servers/${id}/os-instance-actions?limit=1`, { microversion: '2.58' })
    assert.equal(first.body.instanceActions.length, 1)
    assert.equal(first.body.instanceActions[0].request_id, all.body.instanceActions[0].request_id)
    const next = new URL(first.body.links[0].href)
    assert.equal(first.body.links[0].rel, 'next')
    assert.equal(next.searchParams.get('marker'), all.body.instanceActions[0].request_id)
    const second = await cloud().demo.request('GET', `${C}/servers/${id}/os-instance-actions?limit=1&marker=${next.searchParams.get('marker')}`, { microversion: '2.58' })
    assert.equal(second.body.instanceActions[0].request_id, all.body.instanceActions[1].request_id)
    const badMarker = await cloud().demo.request('GET', `${C}/servers/${id}/os-instance-actions?marker=nope`, { microversion: '2.58' })
    assert.equal(badMarker.status, 400)
    assert.equal(badMarker.body.badRequest.message, 'Marker nope could not be found.')
    const future = await cloud().demo.request('GET', `${C}/servers/${id}/os-instance-actions?changes-since=2999-01-01T00:00:00Z`, { microversion: '2.58' })
    assert.deepEqual(future.body.instanceActions, [])
    assert.equal((await cloud().demo.request('GET', `${C}/servers/${id}/os-instance-actions?changes-since=soon`, { microversion: '2.58' })).status, 400)
  })
})
