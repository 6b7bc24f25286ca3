import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { LoggerOption } from '../../src/api/app.js'
import { COMPUTE_MICROVERSIONS } from '../../src/api/compute/compute-microversions.js'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { createTempestWorkspace, reportTempestRun, skipWithoutTempest, type TempestRun, type TempestWorkspace } from '../helpers/tempest.js'

// Tempest with `[service_available] neutron = true` on the fake driver: the rescue
// module with no skip at all, then Tempest's network API modules, two Tempest workers at a time.

const RESCUE = 'tempest.api.compute.servers.test_server_rescue'

/**
 * Tests of the network modules that Tempest itself skips on this cloud, with the reason it
 * gives (see docs/testing.md): each names a feature Lifeboat does not list.
 */
const EXPECTED_NETWORK_SKIPS = [
  // "IPv6 Tests are disabled." ([network-feature-enabled] ipv6 = false: Lifeboat's IPAM is IPv4 only).
  'setUpClass (tempest.api.network.test_networks.BulkNetworkOpsIpV6Test)',
  'setUpClass (tempest.api.network.test_networks.NetworksIpV6Test)',
  'setUpClass (tempest.api.network.test_networks.NetworksIpV6TestAttrs)',
  'setUpClass (tempest.api.network.test_ports.PortsIpV6TestJSON)',
  'setUpClass (tempest.api.network.test_routers.RoutersIpV6Test)',
  'setUpClass (tempest.api.network.test_security_groups.SecGroupIPv6Test)',
  // "ip-substring-filtering extension not enabled.": Lifeboat does not list that extension.
  'tempest.api.network.test_ports.PortsTestJSON.test_port_list_filter_by_ip_substr',
]

/** The network API modules of issue 13, run together. */
const NETWORK_MODULES = ['test_networks', 'test_ports', 'test_routers', 'test_floating_ips', 'test_security_groups']

/** Tempest workers for the rescue module (its five classes overlap their waits). */
const WORKERS = 3
/** Tempest workers for the network modules: each its own project, all carving subnets from the one project_network_cidr. */
const NETWORK_WORKERS = 2

describe('Tempest with neutron = true on the fake driver', { skip: skipWithoutTempest() }, () => {
  let cloud: TestCloud
  let workspace: TempestWorkspace
  let logDir: string
  let failures = 0
  before(async () => {
    logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tempest-log-'))
    const logger: LoggerOption = { level: 'info', file: path.join(logDir, 'lifeboat.log') }
    cloud = await startTestCloud('sqlite', {}, { logger })
    workspace = await createTempestWorkspace(cloud, { maxMicroversion: COMPUTE_MICROVERSIONS.max, neutron: true, workers: WORKERS })
  })
  after(async () => {
    await cloud?.close()
    if (failures === 0) {
      workspace?.remove()
      fs.rmSync(logDir, { recursive: true, force: true })
    }
  })

  /** Runs one module; prints its summary, and its output and kept logs when it failed. */
  async function runModule(module: string, concurrency = WORKERS): Promise<TempestRun> {
    // The trailing `\.` keeps other modules whose names start the same out of the run.
    const run = await workspace.run(`${module.replace(/\./g, '\\.')}\\.`, 20 * 60_000, concurrency)
    const failed = reportTempestRun(`tempest ${module}`, run, workspace, logDir)
    if (failed.length > 0 || run.code !== 0) failures++
    for (const skip of run.tests.filter((t) => t.status === 'SKIPPED')) console.log(`skipped: ${skip.name}: ${skip.detail}`)
    return run
  }

  test(`${RESCUE}: every test passes, none is skipped (floating IP and security group included)`, { timeout: 20 * 60_000 }, async () => {
    const run = await runModule(RESCUE)
    assert.deepEqual(run.tests.filter((t) => t.status !== 'ok').map((t) => `${t.name}: ${t.status} ${t.detail}`), [])
    assert.ok(run.tests.some((t) => t.name.endsWith('test_rescued_vm_associate_dissociate_floating_ip')))
    assert.ok(run.tests.some((t) => t.name.endsWith('test_rescued_vm_add_remove_security_group')))
    assert.deepEqual({ skipped: run.totals.skipped, failed: run.totals.failed }, { skipped: 0, failed: 0 })
    assert.equal(run.code, 0)
  })

  test(`tempest.api.network.{${NETWORK_MODULES.join(',')}}: no failure, only the listed skips`, { timeout: 30 * 60_000 }, async () => {
    // One run for the five modules (Tempest's start-up once), in parallel: every worker carves its
    // subnets from the one project_network_cidr, which projects may share (allow_overlapping_ips).
    const run = await runModule(`tempest.api.network.(${NETWORK_MODULES.join('|')})`, NETWORK_WORKERS)
    for (const name of NETWORK_MODULES) {
      const mine = run.tests.filter((t) => t.name.includes(`tempest.api.network.${name}.`))
      const count = (status: string): number => mine.filter((t) => t.status === status).length
      console.log(`tempest.api.network.${name}: ${mine.length} - Passed: ${count('ok')} - Skipped: ${count('SKIPPED')} - Failed: ${count('FAILED')}`)
      assert.ok(count('ok') > 0, name)
    }
    assert.deepEqual(run.tests.filter((t) => t.status === 'FAILED').map((t) => t.name), [])
    assert.equal(run.totals.failed, 0)
    assert.deepEqual(run.tests.filter((t) => t.status === 'SKIPPED').map((t) => t.name).sort(), [...EXPECTED_NETWORK_SKIPS].sort())
    assert.equal(run.code, 0)
  })
})
