import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { LoggerOption } from '../../src/api/app.js'
import type { ComputeAgent } from '../../src/agent/compute-agent.js'
import { COMPUTE_MICROVERSIONS } from '../../src/api/compute/compute-microversions.js'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { startExtraAgent } from '../helpers/extra-agent.js'
import { createTempestWorkspace, reportTempestRun, skipWithoutTempest, type TempestWorkspace } from '../helpers/tempest.js'

// Tempest's admin migration tests against a Lifeboat cloud with TWO compute hosts on the
// fake driver: the embedded agent and a second agent in this process, each its own host
// (`min_compute_nodes = 2`), with networking on (each account has its own network, so the
// servers' ports move with them). Live migration with block migration is on; cold
// migration is probed (the `migrate` action is on only when the build has it).

const PREFIX = 'tempest.api.compute.admin.'
/**
 * The classes run, by module: every class of these modules that fits two hosts. Add a
 * module or a class here to run more (its tests then must pass, or be listed below).
 */
const MODULES: Record<string, string[]> = {
  test_migrations: ['MigrationsAdminTest'],
  test_live_migration: ['LiveMigrationTest', 'LiveAutoBlockMigrationV225Test', 'LiveMigrationRemoteConsolesV26Test'],
  test_live_migration_negative: ['LiveMigrationNegativeTest'],
}
/** How many tests those classes hold (skipped ones included): what must have run. */
const EXPECTED_TESTS = 18

/** Tests skipped whatever this build supports, each with its reason (names relative to PREFIX). */
const ALWAYS_SKIPPED: Record<string, string> = {
  // Tempest's `requires_ext(service='network', extension='trunk')`: Lifeboat's network API has no trunk ports.
  'test_live_migration.LiveMigrationTest.test_live_migration_with_trunk': 'no trunk extension',
  'test_live_migration.LiveAutoBlockMigrationV225Test.test_live_migration_with_trunk': 'no trunk extension',
  // Needs the `different_host` scheduler hint (Nova's DifferentHostFilter, not in Nova's default
  // enabled_filters either); Lifeboat's scheduler has no such filter.
  'test_live_migration.LiveMigrationRemoteConsolesV26Test.test_live_migration_serial_console': 'no DifferentHostFilter',
}

/**
 * Features another branch adds, probed on the running cloud (a known action on a
 * missing server is 404, an unknown one 400): the flag is on only when the action
 * exists; until then its tests are skipped (and listed), once it exists they must pass.
 */
const PROBED: Array<{ flag: string; action: Record<string, unknown>; tests: string[] }> = [
  {
    flag: 'cold_migration', action: { migrate: null },
    tests: ['test_cold_migration', 'test_revert_cold_migration'].map((t) => `test_migrations.MigrationsAdminTest.${t}`),
  },
]

/** Whether the cloud knows an action (404 for a server that does not exist, not 400 for the action). */
async function hasAction(cloud: TestCloud, body: Record<string, unknown>): Promise<boolean> {
  const res = await cloud.admin.request('POST', `/compute/v2.1/servers/${randomUUID()}/action`, { body })
  return res.status === 404
}

/** The run's regex: each class of MODULES, with a trailing `\.` so no longer class name matches. */
function regexOf(modules: Record<string, string[]>): string {
  const classes = Object.entries(modules).flatMap(([module, names]) => names.map((name) => `${module}\\.${name}\\.`))
  return `${PREFIX.replaceAll('.', '\\.')}(${classes.join('|')})`
}

describe('Tempest on two fake-driver hosts: admin test_migrations and the live-migration classes', { skip: skipWithoutTempest() }, () => {
  let cloud: TestCloud
  let second: ComputeAgent | undefined
  let workspace: TempestWorkspace
  let logDir: string
  let passed = false
  const expectedSkips = new Map(Object.entries(ALWAYS_SKIPPED))
  before(async () => {
    logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tempest-log-'))
    const logger: LoggerOption = { level: 'info', file: path.join(logDir, 'lifeboat.log') }
    cloud = await startTestCloud('sqlite', {}, { logger })
    second = await startExtraAgent(cloud, 'lifeboat-compute-2')
    const flags: Record<string, boolean> = {
      live_migration: true, block_migration_for_live_migration: true, volume_backed_live_migration: true,
      // Block migration with a volume attached: the volume is not copied, the destination reconnects it.
      block_migrate_cinder_iscsi: true, pause: true, suspend: true, resize: true, serial_console: true,
    }
    for (const probe of PROBED) {
      flags[probe.flag] = await hasAction(cloud, probe.action)
      if (!flags[probe.flag]) for (const name of probe.tests) expectedSkips.set(name, `${probe.flag} is off: the action is not on this build`)
    }
    console.log(`[compute-feature-enabled] ${Object.entries(flags).map(([k, v]) => `${k}=${v}`).join(' ')}`)
    workspace = await createTempestWorkspace(cloud, {
      maxMicroversion: COMPUTE_MICROVERSIONS.max,
      neutron: true,
      admin: true,
      extraConfig: `[compute]\nmin_compute_nodes = 2\n[compute-feature-enabled]\n${Object.entries(flags).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`,
    })
  })
  after(async () => {
    await second?.stop()
    await cloud?.close()
    if (passed) {
      workspace?.remove()
      fs.rmSync(logDir, { recursive: true, force: true })
    }
  })

  test('no failures; every test of the classes ran; only the documented tests skip', { timeout: 15 * 60_000 }, async () => {
    const run = await workspace.run(regexOf(MODULES), 10 * 60_000)
    const failed = reportTempestRun('tempest', run, workspace, logDir)
    for (const t of run.tests.filter((t) => t.status === 'SKIPPED')) console.log(`  skipped ${t.name}: ${t.detail}`)
    assert.deepEqual(failed, [])
    assert.equal(run.totals.failed, 0, run.summaryLine)
    assert.equal(run.totals.ran, EXPECTED_TESTS, run.summaryLine)
    const unexpected = run.tests.filter((t) => t.status === 'SKIPPED' && !expectedSkips.has(t.name.slice(PREFIX.length))).map((t) => `${t.name}: ${t.detail}`)
    assert.deepEqual(unexpected, [])
    assert.equal(run.code, 0)
    passed = true
  })
})
