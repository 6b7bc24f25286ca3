import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, createImage, waitForStatus } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'
import { actionsOf, bootFleet, createFleet, raiseQuotas, waitForFleet } from './rescue-fleet-helpers.js'

const IN_FLIGHT = ['rescuing', 'running', 'unrescuing']

describeEachDialect('rescue runs: fleets', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
    await raiseQuotas(cloud().admin, cloud().demo.projectId)
    await raiseQuotas(cloud().admin, cloud().admin.projectId)
  })

  test('never more than max_in_flight at once (recorded), every server run once and put back', async () => {
    const ids = await bootFleet(cloud().demo, imageId, 'rate', 5)
    const db = cloud().running.database.db
    let maxSeen = 0
    let recording = true
    const recorder = (async () => {
      while (recording) {
        const rows = await db.selectFrom('instances').select(['vm_state', 'task_state']).where('uuid', 'in', ids).execute()
        const busy = rows.filter((r) => r.vm_state === 'rescued' || r.task_state === 'rescuing' || r.task_state === 'unrescuing').length
        maxSeen = Math.max(maxSeen, busy)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    })()
    const run = await createFleet(cloud().demo, { script: '# fake-sleep: 0.3\n', servers: { name: '^rate-' }, max_in_flight: 2, canary: 0, unrescue: 'always' })
    assert.equal(run.servers.length, 5)
    assert.ok(run.servers.filter((s: any) => IN_FLIGHT.includes(s.state)).length <= 2)
    const done = await waitForFleet(cloud().demo, run.id)
    recording = false
    await recorder
    assert.equal(done.state, 'succeeded')
    assert.equal(done.counts.succeeded, 5)
    assert.ok(maxSeen <= 2 && maxSeen >= 1, `max in flight seen: ${maxSeen}`)
    assert.deepEqual(done.servers.map((s: any) => s.server_id), ids)
    for (const id of ids) {
      assert.equal((await waitForStatus(cloud().demo, id, 'ACTIVE')).status, 'ACTIVE')
      assert.deepEqual((await actionsOf(cloud().demo, id)).filter((a) => a !== 'create'), ['unrescue', 'rescue'])
    }
    const listed = await cloud().demo.request('GET', '/lifeboat/v1/rescue-runs')
    assert.ok(listed.body.rescue_runs.some((r: any) => r.id === run.id && r.servers === undefined))
  })

  test('error budget: more than N (or N %) failed stops the run; the rest is cancelled', async () => {
    await bootFleet(cloud().demo, imageId, 'budget', 5)
    const byCount = await waitForFleet(cloud().demo, (await createFleet(cloud().demo, {
      script: '# fake-exit: 1\n', servers: { name: '^budget-' }, max_in_flight: 1, canary: 0, error_budget: { count: 1 }, unrescue: 'always',
    })).id)
    assert.equal(byCount.state, 'failed')
    assert.match(byCount.reason, /error budget exceeded/)
    assert.equal(byCount.counts.failed, 2)
    assert.equal(byCount.counts.cancelled, 3)
    const byPercent = await waitForFleet(cloud().demo, (await createFleet(cloud().demo, {
      script: '# fake-exit: 1\n', servers: { name: '^budget-' }, max_in_flight: 1, canary: 0, error_budget: { percent: 20 }, unrescue: 'always',
    })).id)
    assert.equal(byPercent.state, 'failed')
    assert.equal(byPercent.counts.failed, 2)
  })

  test('a failing canary stops the run before any other server is touched', async () => {
    const ids = await bootFleet(cloud().demo, imageId, 'canary', 3)
    const done = await waitForFleet(cloud().demo, (await createFleet(cloud().demo, { script: '# fake-exit: 2\n', servers: { name: '^canary-' }, max_in_flight: 3 })).id)
    assert.equal(done.state, 'failed')
    assert.match(done.reason, /canary failed/)
    assert.deepEqual(done.servers.map((s: any) => s.state), ['failed', 'cancelled', 'cancelled'])
    assert.equal(done.servers[0].exit_status, 2)
    for (const id of ids.slice(1)) assert.deepEqual(await actionsOf(cloud().demo, id), ['create'])
  })

  test('cancel: pending servers are cancelled, the one in flight finishes and is put back', async () => {
    const ids = await bootFleet(cloud().demo, imageId, 'cancel', 3)
    const run = await createFleet(cloud().demo, { script: '# fake-sleep: 1\n', servers: { name: '^cancel-' }, max_in_flight: 1, canary: 0, unrescue: 'never' })
    const cancelled = await cloud().demo.request('POST', `/lifeboat/v1/rescue-runs/${run.id}/cancel`)
    assert.equal(cancelled.status, 202, cancelled.text)
    assert.deepEqual(cancelled.body.rescue_run.servers.slice(1).map((s: any) => s.state), ['cancelled', 'cancelled'])
    const done = await waitForFleet(cloud().demo, run.id)
    assert.equal(done.state, 'cancelled')
    assert.equal(done.servers[0].state, 'succeeded')
    // unrescue "never", but a cancelled run puts its servers back.
    await waitForStatus(cloud().demo, ids[0]!, 'ACTIVE')
    assert.equal((await cloud().demo.request('POST', `/lifeboat/v1/rescue-runs/${run.id}/cancel`)).status, 409)
  })

  test('a server not ACTIVE or SHUTOFF at its turn is skipped with the reason; SHUTOFF is run', async () => {
    const [paused, stopped] = await bootFleet(cloud().demo, imageId, 'turn', 2)
    await action(cloud().demo, paused!, { pause: null })
    await waitForStatus(cloud().demo, paused!, 'PAUSED')
    await action(cloud().demo, stopped!, { 'os-stop': null })
    await waitForStatus(cloud().demo, stopped!, 'SHUTOFF')
    const done = await waitForFleet(cloud().demo, (await createFleet(cloud().demo, { script: 'true\n', servers: { ids: [paused, stopped] }, canary: 0, max_in_flight: 2, unrescue: 'always', rescue_image_ref: imageId })).id)
    assert.equal(done.rescue_image_ref, imageId)
    assert.equal(done.servers[0].state, 'skipped')
    assert.match(done.servers[0].reason, /PAUSED/)
    assert.equal(done.servers[1].state, 'succeeded')
    assert.equal(done.state, 'succeeded')
  })

  test('isolation: another project\'s servers and runs are not found; admins run across projects with all_projects', async () => {
    const [mine] = await bootFleet(cloud().demo, imageId, 'iso-demo', 1)
    const [theirs] = await bootFleet(cloud().admin, imageId, 'iso-admin', 1)
    assert.equal((await cloud().demo.request('POST', '/lifeboat/v1/rescue-runs', { body: { script: 'true', servers: { ids: [mine, theirs] } } })).status, 404)
    assert.equal((await cloud().demo.request('POST', '/lifeboat/v1/rescue-runs', { body: { script: 'true', servers: { name: '^iso-admin' } } })).status, 400)
    assert.equal((await cloud().demo.request('POST', '/lifeboat/v1/rescue-runs', { body: { script: 'true', servers: { name: '^iso-' }, all_projects: true } })).status, 403)
    assert.equal((await cloud().demo.request('POST', '/lifeboat/v1/rescue-runs', { body: { script: 'true', servers: {} } })).status, 400)
    const adminRun = await createFleet(cloud().admin, { script: 'true\n', servers: { name: '^iso-' }, all_projects: true, canary: 0, max_in_flight: 2, unrescue: 'always' })
    assert.deepEqual(new Set(adminRun.servers.map((s: any) => s.server_id)), new Set([mine, theirs]))
    assert.equal((await cloud().demo.request('GET', `/lifeboat/v1/rescue-runs/${adminRun.id}`)).status, 404)
    assert.ok(!(await cloud().demo.request('GET', '/lifeboat/v1/rescue-runs')).body.rescue_runs.some((r: any) => r.id === adminRun.id))
    assert.equal((await cloud().demo.request('POST', `/lifeboat/v1/rescue-runs/${adminRun.id}/cancel`)).status, 404)
    assert.equal((await waitForFleet(cloud().admin, adminRun.id)).state, 'succeeded')
    // The owner reads the run on their server, made by the admin's fleet.
    const runs = await cloud().demo.request('GET', `/lifeboat/v1/servers/${mine}/runs`)
    assert.equal(runs.body.runs[0].rescue_run_id, adminRun.id)
  })
})
