import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { LoggerOption } from '../../src/api/app.js'
import { COMPUTE_MICROVERSIONS } from '../../src/api/compute/compute-microversions.js'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { createTempestWorkspace, reportTempestRun, skipWithoutTempest, type TempestWorkspace } from '../helpers/tempest.js'

// Tempest's console tests with `[compute-feature-enabled] vnc_console = true` on the
// fake driver (its tiny RFB server answers the handshake): the noVNC page, the
// websocket upgrade on the console proxy's root path, the RFB negotiation through
// the proxy, the broker and the embedded agent, and a bad token closed without data.

const MUST_PASS = [
  'tempest.api.compute.servers.test_novnc.NoVNCConsoleTestJSON.test_novnc',
  'tempest.api.compute.servers.test_novnc.NoVNCConsoleTestJSON.test_novnc_bad_token',
  'tempest.api.compute.servers.test_server_actions.ServerActionsTestJSON.test_get_vnc_console',
]

const REGEX = '(tempest\\.api\\.compute\\.servers\\.test_novnc\\.|tempest\\.api\\.compute\\.servers\\.test_server_actions\\.ServerActionsTestJSON\\.test_get_vnc_console)'

describe('Tempest with vnc_console = true on the fake driver: test_novnc and test_get_vnc_console', { skip: skipWithoutTempest() }, () => {
  let cloud: TestCloud
  let workspace: TempestWorkspace
  let logDir: string
  let passed = false
  before(async () => {
    logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tempest-log-'))
    const logger: LoggerOption = { level: 'info', file: path.join(logDir, 'lifeboat.log') }
    cloud = await startTestCloud('sqlite', {}, { logger })
    workspace = await createTempestWorkspace(cloud, {
      maxMicroversion: COMPUTE_MICROVERSIONS.max,
      extraConfig: '[compute-feature-enabled]\nvnc_console = true\n',
    })
  })
  after(async () => {
    await cloud?.close()
    if (passed) {
      workspace?.remove()
      fs.rmSync(logDir, { recursive: true, force: true })
    }
  })

  test('test_novnc, test_novnc_bad_token and test_get_vnc_console pass', { timeout: 15 * 60_000 }, async () => {
    const run = await workspace.run(REGEX)
    const failed = reportTempestRun('tempest', run, workspace, logDir)
    assert.deepEqual(failed, [])
    const ok = new Set(run.tests.filter((t) => t.status === 'ok').map((t) => t.name))
    for (const name of MUST_PASS) assert.ok(ok.has(name), `${name} did not pass (${run.tests.find((t) => t.name === name)?.status ?? 'not run'})`)
    assert.equal(run.code, 0)
    passed = true
  })
})
