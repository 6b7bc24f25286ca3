import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { assertMatchesTempestSchema, skipWithoutTempest } from '../../helpers/tempest-schema.js'
import { createAvailableVolume, qemuInfo, v3, waitForStatus } from './volume-helpers.js'

const GIB = 1024 ** 3

describeEachDialect('volume service: snapshots', (cloud) => {
  const snapshotOf = async (volumeId: string, extra: Record<string, unknown> = {}, microversion?: string) => {
    const demo = cloud().demo
    return demo.request('POST', `${v3(demo)}/snapshots`, { body: { snapshot: { volume_id: volumeId, name: 'snap', ...extra } }, microversion })
  }

  test('a snapshot is created (202, creating), becomes available, and is a full copy on disk', async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 2 })
    const res = await snapshotOf(volume.id, { description: 'first snap' })
    assert.equal(res.status, 202)
    assert.equal(res.body.snapshot.status, 'creating')
    assert.equal(res.body.snapshot.size, 2)
    assert.equal(res.body.snapshot['os-extended-snapshot-attributes:project_id'], undefined)
    const snapshot = await waitForStatus(demo, `${v3(demo)}/snapshots/${res.body.snapshot.id}`, ['available'])
    assert.equal(snapshot['os-extended-snapshot-attributes:project_id'], demo.projectId)
    assert.equal(snapshot['os-extended-snapshot-attributes:progress'], '100%')
    const row = await cloud().running.database.db.selectFrom('volume_snapshots').selectAll().where('id', '=', snapshot.id).executeTakeFirstOrThrow()
    assert.equal(qemuInfo(row.backing_path).virtualSize, 2 * GIB)
    const list = await demo.request('GET', `${v3(demo)}/snapshots?volume_id=${volume.id}`)
    assert.deepEqual(list.body.snapshots.map((s: any) => s.id), [snapshot.id])
    const detail = await demo.request('GET', `${v3(demo)}/snapshots/detail?name=snap`)
    assert.ok(detail.body.snapshots.some((s: any) => s.id === snapshot.id))
  })

  test('snapshot views match Tempest\'s schemas', { skip: skipWithoutTempest() }, async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 1 })
    const created = await snapshotOf(volume.id)
    assertMatchesTempestSchema('tempest.lib.api_schema.response.volume.snapshots:create_snapshot', created.status, created.body)
    await waitForStatus(demo, `${v3(demo)}/snapshots/${created.body.snapshot.id}`, ['available'])
    const show = await demo.request('GET', `${v3(demo)}/snapshots/${created.body.snapshot.id}`)
    assertMatchesTempestSchema('tempest.lib.api_schema.response.volume.snapshots:show_snapshot', show.status, show.body)
    const list = await demo.request('GET', `${v3(demo)}/snapshots/detail`)
    assertMatchesTempestSchema('tempest.lib.api_schema.response.volume.snapshots:list_snapshots_with_detail', list.status, list.body)
    const updated = await demo.request('PUT', `${v3(demo)}/snapshots/${created.body.snapshot.id}`, { body: { snapshot: { name: 'renamed' } } })
    assertMatchesTempestSchema('tempest.lib.api_schema.response.volume.snapshots:update_snapshot', updated.status, updated.body)
  })

  test('a volume with snapshots can\'t be deleted (400) unless cascade; deleting the snapshot first works', async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 1 })
    const snap = (await snapshotOf(volume.id)).body.snapshot
    await waitForStatus(demo, `${v3(demo)}/snapshots/${snap.id}`, ['available'])
    const refused = await demo.request('DELETE', `${v3(demo)}/volumes/${volume.id}`)
    assert.equal(refused.status, 400)
    assert.match(refused.body.badRequest.message, /have snapshots/)
    assert.equal((await demo.request('DELETE', `${v3(demo)}/snapshots/${snap.id}`)).status, 202)
    assert.equal((await demo.request('GET', `${v3(demo)}/snapshots/${snap.id}`)).status, 404)
    assert.equal((await demo.request('DELETE', `${v3(demo)}/volumes/${volume.id}`)).status, 202)

    const other = await createAvailableVolume(demo, { size: 1 })
    const otherSnap = (await snapshotOf(other.id)).body.snapshot
    await waitForStatus(demo, `${v3(demo)}/snapshots/${otherSnap.id}`, ['available'])
    assert.equal((await demo.request('DELETE', `${v3(demo)}/volumes/${other.id}?cascade=true`)).status, 202)
    assert.equal((await demo.request('GET', `${v3(demo)}/snapshots/${otherSnap.id}`)).status, 404)
  })

  test('an in-use volume needs force (or 3.66+); force=false at 3.66 is 400', async () => {
    const demo = cloud().demo
    const volumes = cloud().running.services.volumes
    const volume = await createAvailableVolume(demo, { size: 1 })
    const attachment = await volumes.reserveAttachment(volume.id, randomUUID())
    await volumes.completeAttachment(attachment.id, { mountpoint: '/dev/vdb', hostName: 'h' })
    const refused = await snapshotOf(volume.id)
    assert.equal(refused.status, 400)
    assert.equal(refused.body.badRequest.message, `Invalid volume: Volume ${volume.id} status must be available, but current status is: in-use.`)
    const forced = await snapshotOf(volume.id, { force: true })
    assert.equal(forced.status, 202)
    await waitForStatus(demo, `${v3(demo)}/snapshots/${forced.body.snapshot.id}`, ['available'])
    const newer = await snapshotOf(volume.id, {}, '3.66')
    assert.equal(newer.status, 202)
    await waitForStatus(demo, `${v3(demo)}/snapshots/${newer.body.snapshot.id}`, ['available'])
    assert.equal((await snapshotOf(volume.id, { force: false }, '3.66')).status, 400)
    await volumes.deleteAttachment(attachment.id)
  })

  test('a volume made from a snapshot gets its data and size; smaller is 400; another project\'s snapshot is 404', async () => {
    const { admin, demo } = cloud()
    const volume = await createAvailableVolume(demo, { size: 2 })
    const snap = (await snapshotOf(volume.id)).body.snapshot
    await waitForStatus(demo, `${v3(demo)}/snapshots/${snap.id}`, ['available'])
    const fromSnap = await createAvailableVolume(demo, { snapshot_id: snap.id })
    assert.equal(fromSnap.size, 2)
    assert.equal(fromSnap.snapshot_id, snap.id)
    const record = await cloud().running.services.volumes.findVolume(fromSnap.id)
    assert.equal(qemuInfo(record!.backingPath).virtualSize, 2 * GIB)
    const bigger = await createAvailableVolume(demo, { snapshot_id: snap.id, size: 3 })
    assert.equal(qemuInfo((await cloud().running.services.volumes.findVolume(bigger.id))!.backingPath).virtualSize, 3 * GIB)
    const smaller = await demo.request('POST', `${v3(demo)}/volumes`, { body: { volume: { snapshot_id: snap.id, size: 1 } } })
    assert.equal(smaller.body.badRequest.message, "Invalid input received: Volume size '1'GB cannot be smaller than the snapshot size 2GB. They must be >= original snapshot size.")
    const foreign = await admin.request('POST', `${v3(admin)}/volumes`, { body: { volume: { snapshot_id: randomUUID(), size: 1 } } })
    assert.equal(foreign.status, 404)
    const demoSnapAsOther = await admin.request('GET', `${v3(admin)}/snapshots?all_tenants=0`)
    assert.ok(!demoSnapAsOther.body.snapshots.some((s: any) => s.id === snap.id))
    const clone = await createAvailableVolume(demo, { source_volid: volume.id })
    assert.equal(clone.source_volid, volume.id)
    assert.equal(clone.size, 2)
  })

  test('a snapshot of another project\'s volume is 404 and creates nothing', async () => {
    const { admin } = cloud()
    const volume = await createAvailableVolume(admin, { size: 1 })
    const res = await snapshotOf(volume.id)
    assert.equal(res.status, 404)
    const rows = await cloud().running.database.db.selectFrom('volume_snapshots').select('id').where('volume_id', '=', volume.id).execute()
    assert.equal(rows.length, 0)
  })
})
