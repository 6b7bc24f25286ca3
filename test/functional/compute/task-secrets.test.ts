import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, waitForStatus } from '../../helpers/compute.js'
import { TaskQueue } from '../../../src/services/tasks/task-queue.js'
import type { RescueTask } from '../../../src/agent-api/index.js'

describeEachDialect('secrets of tasks: in memory only, never in the task row', (cloud) => {
  test('a rescue with adminPass: the task row holds no password, the rescue works', async () => {
    const demo = cloud().demo
    const server = await bootServer(demo, { name: 'secret-rescue', imageRef: await createImage(demo, { visibility: 'private' }), flavorRef: '1' })
    const password = 'Rescue-Secret-41b7c2'
    const res = await action(demo, server.id, { rescue: { adminPass: password } })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.adminPass, password)
    await waitForStatus(demo, server.id, 'RESCUE')
    const rows = await cloud().running.database.db.selectFrom('tasks').selectAll().where('instance_uuid', '=', server.id).execute()
    assert.ok(rows.some((r) => r.kind === 'rescue'))
    for (const row of rows) assert.equal(JSON.stringify(row).includes(password), false, `task ${row.kind} keeps the password`)
  })

  test('the lease hands the password to the agent; after a restart before the lease the task runs without it', async () => {
    const db = cloud().running.database.db
    const demo = cloud().demo
    const server = await bootServer(demo, { name: 'secret-lease', imageRef: await createImage(demo, { visibility: 'private' }), flavorRef: '1' })
    // A host no agent serves, so that only this test leases its tasks.
    const host = `nobody-${server.id}`
    const task: RescueTask = { kind: 'rescue', imageId: 'x', mode: 'legacy', device: 'disk', bus: 'virtio', keyName: null, snapshotRoot: true, previousVmState: 'active', adminPass: 'Lease-Secret-9a0e' }
    const before = new TaskQueue(db)
    const first = await before.enqueue(db, { instanceUuid: server.id, host, actionId: null, task })
    const stored = await db.selectFrom('tasks').select('payload').where('id', '=', first).executeTakeFirstOrThrow()
    assert.equal(JSON.parse(stored.payload).adminPass, null)
    const [leased] = await before.lease(host, 'session-a', 60, 1, 0)
    assert.equal(leased!.id, first)
    assert.equal((leased!.task as RescueTask).adminPass, 'Lease-Secret-9a0e')
    assert.equal(leased!.secretLost, undefined)
    await before.abandon(db, first, 'test done')

    const second = await before.enqueue(db, { instanceUuid: server.id, host, actionId: null, task })
    const restarted = new TaskQueue(db)
    const [again] = await restarted.lease(host, 'session-b', 60, 1, 0)
    assert.equal(again!.id, second)
    assert.equal((again!.task as RescueTask).adminPass, null)
    assert.equal(again!.secretLost, true)
    await restarted.abandon(db, second, 'test done')
  })
})
