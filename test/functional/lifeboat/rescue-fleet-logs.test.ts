import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { createImage, waitForStatus } from '../../helpers/compute.js'
import { bootFleet, createFleet, waitForFleet } from './rescue-fleet-helpers.js'

const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-fleet-log-'))
const logFile = path.join(logDir, 'api.log')
after(() => fs.rmSync(logDir, { recursive: true, force: true }))

/**
 * The policy for fleet runs as for single ones: the script and the
 * outputs of a fleet's servers (succeeded and failed, the canary's included)
 * never reach the log at info, while the run's own lines (created, final
 * state) do.
 */
describeEachDialect('rescue runs: a fleet\'s logs', (cloud) => {
  test('neither the fleet\'s script nor any server\'s output reaches the log at info', async () => {
    const imageId = await createImage(cloud().admin)
    const ids = await bootFleet(cloud().demo, imageId, 'logged', 3)
    const script = '#!/bin/sh\n# fleet-secret-script-marker\n# fake-exit: 4\n# fake-output: fleet-secret-output-marker\n'
    const run = await createFleet(cloud().demo, { script, servers: { name: '^logged-' }, max_in_flight: 2, canary: 0, unrescue: 'always', error_budget: { percent: 100 } })
    const done = await waitForFleet(cloud().demo, run.id)
    assert.equal(done.state, 'completed')
    assert.deepEqual(done.servers.map((s: any) => s.output), ids.map(() => 'fleet-secret-output-marker\n'))
    for (const id of ids) await waitForStatus(cloud().demo, id, 'ACTIVE')
    const log = fs.readFileSync(logFile, 'utf8')
    assert.ok(log.includes(`rescue run ${run.id} created over 3 servers`), 'the log is the right one')
    assert.ok(log.includes(`rescue run ${run.id} completed`))
    assert.ok(!log.includes('fleet-secret-script-marker'), 'the script is not in the log')
    assert.ok(!log.includes('fleet-secret-output-marker'), 'no output is in the log')
  })
}, {}, { logger: { level: 'info', file: logFile } })
