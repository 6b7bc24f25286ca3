import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { describeEachDialect, type Session } from '../../helpers/cloud.js'
import { action, bootServer, createImage, fakeDomain, waitForStatus } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'

/** Rescues a server with `lifeboat:run` and waits until its run is final; answers the run. */
async function runOn(session: Session, serverId: string, run: Record<string, unknown>): Promise<any> {
  const response = await action(session, serverId, { rescue: { 'lifeboat:run': run } })
  assert.equal(response.status, 200, response.text)
  return waitUntil(async () => {
    const runs = await session.request('GET', `/lifeboat/v1/servers/${serverId}/runs`)
    assert.equal(runs.status, 200, runs.text)
    const latest = runs.body.runs[0]
    return latest && ['succeeded', 'failed'].includes(latest.state) ? latest : undefined
  }, { timeoutMs: 15_000, intervalMs: 50, what: `the run on ${serverId}` })
}

async function settle(session: Session, serverId: string): Promise<any> {
  return waitUntil(async () => {
    const server = (await session.request('GET', `/compute/v2.1/servers/${serverId}`)).body.server
    return server['OS-EXT-STS:task_state'] === null ? server : undefined
  }, { timeoutMs: 10_000, intervalMs: 50, what: `server ${serverId} without a task` })
}

async function rescueEvents(session: Session, serverId: string): Promise<any[]> {
  const actions = await session.request('GET', `/compute/v2.1/servers/${serverId}/os-instance-actions`, { microversion: '2.84' })
  const rescue = actions.body.instanceActions.find((a: any) => a.action === 'rescue')
  const detail = await session.request('GET', `/compute/v2.1/servers/${serverId}/os-instance-actions/${rescue.request_id}`, { microversion: '2.84' })
  return detail.body.instanceAction.events
}

describeEachDialect('rescue runs: one server', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })
  const boot = async () => (await bootServer(cloud().demo, { imageRef: imageId })).id as string

  test('on-success: a script that exits 0 is recorded (event and runs) and the server is unrescued', async () => {
    const id = await boot()
    const run = await runOn(cloud().demo, id, { script: '#!/bin/sh\n# fake-output: fixed fstab\necho fixed\n', timeout: 30 })
    assert.equal(run.state, 'succeeded')
    assert.equal(run.exit_status, 0)
    assert.equal(run.output, 'fixed fstab\n')
    assert.equal(run.timed_out, false)
    assert.equal(run.unrescue, 'on-success')
    assert.equal((await settle(cloud().demo, id)).status, 'ACTIVE')
    const event = (await rescueEvents(cloud().demo, id)).find((e) => e.event === 'lifeboat_rescue_run')
    assert.equal(event.result, 'Success')
    assert.match(event.details, /exited with status 0/)
    assert.ok(!event.details.includes('fixed fstab'), 'the output is not in the event')
    const actions = await cloud().demo.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions`)
    assert.deepEqual(actions.body.instanceActions.map((a: any) => a.action).slice(0, 2), ['unrescue', 'rescue'])
  })

  test('on-success: a failing script leaves the server rescued for a look', async () => {
    const id = await boot()
    const run = await runOn(cloud().demo, id, { script: '# fake-exit: 3\nfalse\n', timeout: 30, unrescue: 'on-success' })
    assert.equal(run.state, 'failed')
    assert.equal(run.exit_status, 3)
    assert.equal(run.reason, 'exit status 3')
    assert.equal((await settle(cloud().demo, id)).status, 'RESCUE')
    const event = (await rescueEvents(cloud().demo, id)).find((e) => e.event === 'lifeboat_rescue_run')
    assert.equal(event.result, 'Error')
  })

  test('always + discard_on_failure: a failed run is unrescued with the root restored', async () => {
    const id = await boot()
    const run = await runOn(cloud().demo, id, { script: '# fake-exit: 1\n', unrescue: 'always', discard_on_failure: true })
    assert.equal(run.state, 'failed')
    assert.equal((await settle(cloud().demo, id)).status, 'ACTIVE')
    assert.ok(fakeDomain(cloud(), id)!.console.includes('[fake] root restored from the pre-rescue snapshot'))
  })

  test('always without discard: a failed run is unrescued keeping its changes', async () => {
    const id = await boot()
    const run = await runOn(cloud().demo, id, { script: '# fake-exit: 1\n', unrescue: 'always' })
    assert.equal(run.state, 'failed')
    assert.equal((await settle(cloud().demo, id)).status, 'ACTIVE')
    assert.ok(!fakeDomain(cloud(), id)!.console.some((line) => line.includes('restored')))
  })

  test('never: the server stays rescued after a successful run', async () => {
    const id = await boot()
    const run = await runOn(cloud().demo, id, { script: 'true\n', unrescue: 'never' })
    assert.equal(run.state, 'succeeded')
    assert.equal((await settle(cloud().demo, id)).status, 'RESCUE')
  })

  test('a script past its timeout is stopped and counts as failed; one with no result at all too', async () => {
    const id = await boot()
    const run = await runOn(cloud().demo, id, { script: '# fake-sleep: 30\nsleep 30\n', timeout: 1, unrescue: 'always' })
    assert.equal(run.state, 'failed')
    assert.equal(run.timed_out, true)
    assert.equal(run.exit_status, 143)
    assert.equal(run.reason, 'timed out')
    assert.equal((await settle(cloud().demo, id)).status, 'ACTIVE')
    const silent = await boot()
    const hung = await runOn(cloud().demo, silent, { script: '# fake-hang\n', timeout: 1, unrescue: 'always' })
    assert.equal(hung.state, 'failed')
    assert.equal(hung.exit_status, null)
    assert.equal(hung.timed_out, true)
  })

  test('bad run options are 400 and change nothing; another project\'s server runs are 404', async () => {
    const id = await boot()
    for (const run of [{}, { script: '' }, { script: 'x', timeout: 0 }, { script: 'x', unrescue: 'sometimes' }, { script: 'x', extra: 1 }]) {
      const response = await action(cloud().demo, id, { rescue: { 'lifeboat:run': run } })
      assert.equal(response.status, 400, JSON.stringify(run))
      assert.ok(response.body.badRequest, response.text)
    }
    assert.equal((await cloud().demo.request('GET', `/compute/v2.1/servers/${id}`)).body.server.status, 'ACTIVE')
    assert.deepEqual((await cloud().demo.request('GET', `/lifeboat/v1/servers/${id}/runs`)).body.runs, [])
    const theirs = (await bootServer(cloud().admin, { imageRef: imageId })).id
    assert.equal((await cloud().demo.request('GET', `/lifeboat/v1/servers/${theirs}/runs`)).status, 404)
    assert.equal((await cloud().admin.request('GET', `/lifeboat/v1/servers/${id}/runs`)).status, 200)
  })
})


const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-run-log-'))
const logFile = path.join(logDir, 'api.log')
after(() => fs.rmSync(logDir, { recursive: true, force: true }))
describeEachDialect('rescue runs: logs', (cloud) => {
  test('neither the script nor its output reaches the log at info', async () => {
    const imageId = await createImage(cloud().admin)
    const id = (await bootServer(cloud().demo, { imageRef: imageId })).id as string
    const run = await runOn(cloud().demo, id, { script: '# secret-script-marker\n# fake-output: secret-output-marker\n', unrescue: 'always' })
    assert.equal(run.output, 'secret-output-marker\n')
    await settle(cloud().demo, id)
    const log = fs.readFileSync(logFile, 'utf8')
    assert.match(log, /task rescue of server/, 'the log is the right one')
    assert.ok(!log.includes('secret-script-marker') && !log.includes('secret-output-marker'))
  })
}, {}, { logger: { level: 'info', file: logFile } })
