import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { attachAndWait, bootServer, createImage as createServerImage } from '../../helpers/compute.js'
import { createAvailableVolume, v3, waitForStatus } from './volume-helpers.js'

/**
 * What a process killed -9 leaves behind, made by hand (statuses set in the
 * database, partial files on disk), then the recovery the next start runs
 * before it serves (`services.*.recoverInterrupted`).
 */
describeEachDialect('recovery after a crash: records left in a transitional status', (cloud) => {
  const db = () => cloud().running.database.db
  const dataDir = () => cloud().running.config.dataDir
  const setVolume = (id: string, status: string) => db().updateTable('volumes').set({ status }).where('id', '=', id).execute()
  const setSnapshot = (id: string, status: string) => db().updateTable('volume_snapshots').set({ status }).where('id', '=', id).execute()

  test('volumes: creating → error (partial data removed), extending → error_extending, deleting → deleted with its snapshots', async () => {
    const demo = cloud().demo
    const creating = await createAvailableVolume(demo, { size: 1 })
    const extending = await createAvailableVolume(demo, { size: 1 })
    const deleting = await createAvailableVolume(demo, { size: 1 })
    const snap = (await demo.request('POST', `${v3(demo)}/snapshots`, { body: { snapshot: { volume_id: deleting.id } } })).body.snapshot
    await waitForStatus(demo, `${v3(demo)}/snapshots/${snap.id}`, ['available'])
    const creatingFile = path.join(dataDir(), 'volumes', `${creating.id}.qcow2`)
    fs.writeFileSync(`${creatingFile}.part`, 'half a copy')
    const deletingRow = await db().selectFrom('volumes').selectAll().where('id', '=', deleting.id).executeTakeFirstOrThrow()
    const snapRow = await db().selectFrom('volume_snapshots').selectAll().where('id', '=', snap.id).executeTakeFirstOrThrow()
    await setVolume(creating.id, 'creating')
    await setVolume(extending.id, 'extending')
    await setVolume(deleting.id, 'deleting')

    const done = await cloud().running.services.volumes.recoverInterrupted()
    assert.deepEqual(new Set(done.volumes.map((v) => `${v.id}:${v.to}`)), new Set([`${creating.id}:error`, `${extending.id}:error_extending`, `${deleting.id}:deleted`]))
    assert.equal((await demo.request('GET', `${v3(demo)}/volumes/${creating.id}`)).body.volume.status, 'error')
    assert.equal(fs.existsSync(creatingFile), false)
    assert.equal(fs.existsSync(`${creatingFile}.part`), false)
    assert.equal((await demo.request('GET', `${v3(demo)}/volumes/${extending.id}`)).body.volume.status, 'error_extending')
    assert.equal((await demo.request('GET', `${v3(demo)}/volumes/${deleting.id}`)).status, 404)
    assert.equal((await demo.request('GET', `${v3(demo)}/snapshots/${snap.id}`)).status, 404)
    assert.equal(fs.existsSync(deletingRow.backing_path), false)
    assert.equal(fs.existsSync(snapRow.backing_path), false)
    // A volume in error can be deleted by its owner, as after any failed create.
    assert.equal((await demo.request('DELETE', `${v3(demo)}/volumes/${creating.id}`)).status, 202)
  })

  test('snapshots: creating → error (partial copy removed), deleting → deleted', async () => {
    const demo = cloud().demo
    const volume = await createAvailableVolume(demo, { size: 1 })
    const made = []
    for (let i = 0; i < 2; i++) {
      const snap = (await demo.request('POST', `${v3(demo)}/snapshots`, { body: { snapshot: { volume_id: volume.id } } })).body.snapshot
      made.push(await waitForStatus(demo, `${v3(demo)}/snapshots/${snap.id}`, ['available']))
    }
    const [creating, deleting] = made
    const partial = path.join(dataDir(), 'volumes', 'snapshots', `${creating.id}.qcow2.part`)
    fs.writeFileSync(partial, 'half a copy')
    await setSnapshot(creating.id, 'creating')
    await setSnapshot(deleting.id, 'deleting')
    await cloud().running.services.volumes.recoverInterrupted()
    assert.equal((await demo.request('GET', `${v3(demo)}/snapshots/${creating.id}`)).body.snapshot.status, 'error')
    assert.equal(fs.existsSync(partial), false)
    assert.equal((await demo.request('GET', `${v3(demo)}/snapshots/${deleting.id}`)).status, 404)
    assert.equal((await demo.request('DELETE', `${v3(demo)}/snapshots/${creating.id}`)).status, 202)
  })

  test('images: saving → queued with no data, partial files removed; the upload can be done again', async () => {
    const demo = cloud().demo
    const image = (await demo.request('POST', '/image/v2/images', { body: { name: 'half', disk_format: 'raw', container_format: 'bare' } })).body
    await db().updateTable('images').set({ status: 'saving', size: 5 }).where('id', '=', image.id).execute()
    const partial = path.join(dataDir(), 'images', `.${image.id}.0000.part`)
    fs.mkdirSync(path.dirname(partial), { recursive: true })
    fs.writeFileSync(partial, 'half')
    assert.deepEqual(await cloud().running.services.images.recoverInterrupted(), [image.id])
    const shown = (await demo.request('GET', `/image/v2/images/${image.id}`)).body
    assert.equal(shown.status, 'queued')
    assert.equal(shown.size, null)
    assert.equal(fs.existsSync(partial), false)
    const upload = await demo.request('PUT', `/image/v2/images/${image.id}/file`, { rawBody: Buffer.alloc(1024), contentType: 'application/octet-stream' })
    assert.equal(upload.status, 204, upload.text)
    assert.equal((await demo.request('GET', `/image/v2/images/${image.id}`)).body.status, 'active')
  })

  test('compute: a detach never queued rolls back to in-use; a reservation never attached is dropped; an orphan snapshot image is killed', async () => {
    const demo = cloud().demo
    const services = cloud().running.services
    const server = await bootServer(demo, { name: 'recovering', imageRef: await createServerImage(demo, { visibility: 'private' }), flavorRef: '1' })
    const attached = await createAvailableVolume(demo, { size: 1 })
    await attachAndWait(demo, server.id, attached.id)
    await setVolume(attached.id, 'detaching')
    const reservedVolume = await createAvailableVolume(demo, { size: 1 })
    const reservation = await services.volumes.reserveAttachment(reservedVolume.id, server.id)
    const orphan = await services.images.createImageRecord({ name: 'snap', owner: demo.projectId, properties: { image_type: 'snapshot', instance_uuid: server.id } })

    const done = await services.compute.recoverInterrupted()
    assert.deepEqual(done.detachesRolledBack, [attached.id])
    assert.deepEqual(done.attachmentsDropped, [reservation.id])
    assert.deepEqual(done.snapshotImagesKilled, [orphan.id])
    assert.equal((await demo.request('GET', `${v3(demo)}/volumes/${attached.id}`)).body.volume.status, 'in-use')
    assert.equal((await demo.request('GET', `${v3(demo)}/volumes/${reservedVolume.id}`)).body.volume.status, 'available')
    assert.equal((await demo.request('GET', `/image/v2/images/${orphan.id}`)).body.status, 'killed')
    // Nothing else was touched: a second pass finds nothing.
    const again = await services.compute.recoverInterrupted()
    assert.deepEqual(Object.values(again).flat(), [])
  })
})
