import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { DEMO_PASSWORD, startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { bootServer, createImage, waitForStatus } from '../helpers/compute.js'
import { openViewer } from '../helpers/console-agent.js'
import { waitUntil } from '../helpers/wait-until.js'
import { artifactDir, chromiumSkip, launchChromium, watchPageErrors } from '../helpers/browser.js'
import { STEP_MS, dashboardLogin } from './lib/dashboard-page.js'

const FSTAB_LOG = fs.readFileSync(new URL('../fixtures/console-logs/fstab-missing-device.log', import.meta.url), 'utf8')

/**
 * The dashboard's rescue runs in real Chromium on the fake driver: a broken
 * server's diagnosis and a run of its repair script from the server panel;
 * fleet runs from the "Rescue runs" view (a failing canary stops the run, a
 * cancel puts the rest back); a refused run shows the API's words. Screenshots
 * go to test-artifacts/dashboard-rescue-runs/.
 */
describe('rescue runs in the dashboard (Chromium, fake driver)', { skip: chromiumSkip(), timeout: 180_000 }, () => {
  let cloud: TestCloud
  let browser: Browser
  let page: Page
  let errors: string[]
  let imageId: string
  const shots = artifactDir('dashboard-rescue-runs')
  let step = 0
  const screenshot = (name: string) => page.screenshot({ path: path.join(shots, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true })

  /** The fake driver records what is typed on the serial console as console output: a real failed boot's log goes in that way. */
  async function seedConsole(serverId: string, text: string): Promise<void> {
    const res = await cloud.demo.request('POST', `/compute/v2.1/servers/${serverId}/remote-consoles`, {
      body: { remote_console: { protocol: 'serial', type: 'serial' } }, microversion: '2.6',
    })
    assert.equal(res.status, 200, res.text)
    const url = new URL(res.body.remote_console.url)
    const viewer = await openViewer(cloud.running.consolePort, `${url.pathname}${url.search}`)
    const lines = text.split('\n').filter((line) => line.trim() !== '')
    viewer.ws.send(`${lines.join('\r')}\r`)
    const last = lines.at(-1)!.replace(/[\x00-\x1f]/g, '')
    await waitUntil(async () => {
      const log = await cloud.demo.request('POST', `/compute/v2.1/servers/${serverId}/action`, { body: { 'os-getConsoleOutput': {} } })
      return String(log.body.output).includes(last)
    }, { timeoutMs: 10_000, intervalMs: 50, what: () => 'the typed log in the console output' })
    viewer.ws.close()
    await viewer.closed
  }

  /** The run the API shows (to compare what the page shows with it). */
  const apiRun = async (id: string) => (await cloud.demo.request('GET', `/lifeboat/v1/rescue-runs/${id}`)).body.rescue_run
  const detailState = (state: string) => page.locator(`[data-run-detail] [data-detail-state="${state}"]`).waitFor({ timeout: STEP_MS })
  const shownRunId = async () => (await page.locator('[data-run-detail]').getAttribute('data-run-detail'))!

  before(async () => {
    cloud = await startTestCloud('sqlite')
    imageId = await createImage(cloud.admin, { name: 'guest' })
    for (const name of ['broken', 'fleet-0', 'fleet-1', 'fleet-2']) await bootServer(cloud.demo, { imageRef: imageId, name })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    errors = watchPageErrors(page)
    await dashboardLogin(page, cloud.url, 'demo', DEMO_PASSWORD, 'demo')
  })
  after(async () => {
    await browser?.close()
    await cloud?.close()
  })

  test('Diagnose names the failed fstab line and its repair; a run of the proposed script repairs the server', async () => {
    const list = await cloud.demo.request('GET', '/compute/v2.1/servers?name=^broken$')
    const serverId: string = list.body.servers[0].id
    await seedConsole(serverId, FSTAB_LOG)
    await page.click('tr[data-server="broken"]')
    await page.click('[data-view=diagnose]')
    const finding = page.locator('[data-finding=fstab-mount-failed]')
    await finding.waitFor({ timeout: STEP_MS })
    assert.match(await finding.locator('[data-finding-lines]').innerText(), /\[DEPEND\] Dependency failed for srv-data\.mount - \/srv\/data\./)
    const api = (await cloud.demo.request('GET', `/lifeboat/v1/servers/${serverId}/diagnosis`)).body.diagnosis.findings[0]
    assert.equal(await finding.locator('[data-repair-script]').textContent(), api.repair_script, 'the proposed script, as the API gives it')
    await screenshot('diagnosis')

    await finding.locator('[data-action=run-repair]').click()
    assert.equal(await page.inputValue('form[data-form=rescue-run] textarea[name=script]'), api.repair_script)
    assert.equal(await page.inputValue('form[data-form=rescue-run] textarea[name=ids]'), serverId)
    await page.click('[data-action=start-run]')
    await detailState('succeeded')
    const row = page.locator(`[data-run-detail] tr[data-run-server="broken"]`)
    assert.equal(await row.locator('[data-server-state]').innerText(), 'succeeded')
    assert.equal((await row.locator('td').nth(2).innerText()).trim(), '0')
    assert.match(await row.locator('[data-output]').innerText(), /\[fake\] ran \d+ lines, exit 0/)
    await screenshot('repair-run-succeeded')
    // Unrescued by the policy: the server is ACTIVE again, and the run is the project's.
    await waitForStatus(cloud.demo, serverId, 'ACTIVE')
    const runs = (await cloud.demo.request('GET', `/lifeboat/v1/servers/${serverId}/runs`)).body.runs
    assert.equal(runs[0].state, 'succeeded')
  })

  test('a fleet run from the Rescue runs view: the failing canary stops it, the others are cancelled, all shown as the API says', async () => {
    await page.click('[data-tab=rescue-runs]')
    await page.getByRole('heading', { name: 'Rescue runs' }).waitFor({ timeout: STEP_MS })
    await page.click('[data-action=new-run]')
    const form = page.locator('form[data-form=rescue-run]')
    await form.locator('textarea[name=script]').fill('#!/bin/sh\n# fake-exit: 3\n# fake-output: cannot fix this one\n')
    await form.locator('input[name=name]').fill('^fleet-')
    await form.locator('input[name=max-in-flight]').fill('2')
    await form.locator('input[name=canary]').fill('1')
    await form.locator('select[name=budget-kind]').selectOption('count')
    await form.locator('input[name=budget]').fill('1')
    await form.locator('select[name=unrescue]').selectOption('always')
    await form.locator('input[name=discard-on-failure]').check()
    await screenshot('fleet-form')
    await form.locator('[data-action=start-run]').click()
    await detailState('failed')
    const run = await apiRun(await shownRunId())
    assert.equal(run.max_in_flight, 2)
    assert.equal(run.canary, 1)
    assert.deepEqual(run.error_budget, { count: 1, percent: null })
    assert.equal(run.unrescue, 'always')
    assert.equal(run.discard_on_failure, true)
    assert.deepEqual(run.servers_selector, { name: '^fleet-' })
    assert.equal(await page.locator('[data-run-reason]').innerText(), run.reason, 'the reason word for word')
    const states = await page.locator('[data-run-detail] [data-server-state]').allInnerTexts()
    assert.deepEqual([...states].sort(), ['cancelled', 'cancelled', 'failed'])
    assert.match(await page.locator('[data-run-detail] [data-output]').innerText(), /cannot fix this one/)
    assert.equal(await page.locator(`tr[data-run="${run.id}"] [data-run-state]`).innerText(), 'failed')
    assert.ok(await page.locator('[data-action=cancel-run]').isDisabled(), 'a final run cannot be cancelled')
    await screenshot('fleet-canary-failed')
  })

  test('cancel from the view: the pending servers are cancelled, the one in flight is put back', async () => {
    await page.click('[data-action=new-run]')
    const form = page.locator('form[data-form=rescue-run]')
    await form.locator('textarea[name=script]').fill('# fake-sleep: 3\n')
    await form.locator('input[name=name]').fill('^fleet-')
    await form.locator('input[name=canary]').fill('0')
    await form.locator('[data-action=start-run]').click()
    await page.locator('[data-run-detail] [data-server-state=rescuing], [data-run-detail] [data-server-state=running]').first().waitFor({ timeout: STEP_MS })
    await page.click('[data-action=cancel-run]')
    await detailState('cancelled')
    const run = await apiRun(await shownRunId())
    assert.equal(run.state, 'cancelled')
    const states = await page.locator('[data-run-detail] [data-server-state]').allInnerTexts()
    assert.deepEqual(states, run.servers.map((s: { state: string }) => s.state), 'the page shows each server as the API does')
    assert.ok(states.filter((s) => s === 'cancelled').length >= 2, states.join(','))
    await screenshot('fleet-cancelled')
    for (const s of run.servers) await waitForStatus(cloud.demo, s.server_id, 'ACTIVE')
  })

  test('a refused run shows the API\'s message word for word and starts nothing', async () => {
    const before = (await cloud.demo.request('GET', '/lifeboat/v1/rescue-runs')).body.rescue_runs.length
    const body = { script: 'true', servers: { name: '^nothing-matches-this$' } }
    const refused = await cloud.demo.request('POST', '/lifeboat/v1/rescue-runs', { body })
    assert.equal(refused.status, 400)
    const message: string = refused.body.badRequest.message
    await page.click('[data-action=new-run]')
    const form = page.locator('form[data-form=rescue-run]')
    await form.locator('textarea[name=script]').fill('true')
    await form.locator('input[name=name]').fill('^nothing-matches-this$')
    await form.locator('[data-action=start-run]').click()
    await page.locator('[data-error=rescue-run]').waitFor({ timeout: STEP_MS })
    assert.equal(await page.locator('[data-error=rescue-run]').innerText(), message)
    assert.equal((await cloud.demo.request('GET', '/lifeboat/v1/rescue-runs')).body.rescue_runs.length, before)
    await screenshot('fleet-refused')
    assert.deepEqual(errors, [])
  })
})
