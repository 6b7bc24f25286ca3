import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { DEMO_PASSWORD, startTestCloud, type Session, type TestCloud } from '../helpers/cloud.js'
import { action, uploadImageFile, waitForStatus } from '../helpers/compute.js'
import { waitUntil } from '../helpers/wait-until.js'
import { artifactDir, chromiumSkip, launchChromium, watchPageErrors } from '../helpers/browser.js'
import { buildImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { qemuSkip } from './lib/qemu-guests.js'
import { dashboardLogin, waitForRow, waitForTerminalText } from './lib/dashboard-page.js'

/**
 * The dashboard's console round trip on a real QEMU guest (TCG in CI): rescue
 * with the button, then in the page's serial console a root shell of the
 * rescue system evaluates what is typed; unrescue discarding the changes.
 * Screenshots in test-artifacts/dashboard-qemu/.
 */
const BOOT_MS = 180_000

/** Waits until the console log shows `pattern` after its first `from` characters. */
async function waitForConsoleLog(session: Session, id: string, pattern: RegExp, from: number): Promise<number> {
  let text = ''
  return waitUntil(async () => {
    const res = await action(session, id, { 'os-getConsoleOutput': null })
    text = String(res.body?.output ?? '')
    return pattern.test(text.slice(from)) ? text.length : undefined
  }, { timeoutMs: BOOT_MS, intervalMs: 500, what: () => `console of ${id} did not show ${pattern}:\n${text.slice(from)}` })
}

describe('the dashboard in Chromium on a real QEMU guest', { skip: qemuSkip() || chromiumSkip(), timeout: 10 * 60_000 }, () => {
  let cloud: TestCloud
  let browser: Browser
  let page: Page
  let errors: string[]
  let rescueImage: string
  let serverId: string
  const shots = artifactDir('dashboard-qemu')
  let step = 0
  const screenshot = (name: string) => page.screenshot({ path: path.join(shots, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true })

  before(async () => {
    const images = await buildImages()
    cloud = await startTestCloud('sqlite', { agent: { driver: 'qemu' }, compute: { shutdownTimeoutSeconds: 30 } })
    const guestImage = await uploadImageFile(cloud.admin, images.guest, 'lifeboat-guest')
    rescueImage = await uploadImageFile(cloud.admin, images.rescueDisk, 'lifeboat-rescue', { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' })
    const created = await cloud.demo.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'real1', imageRef: guestImage, flavorRef: '42', networks: 'none' } }, microversion: '2.87' })
    assert.equal(created.status, 202, created.text)
    serverId = created.body.server.id
    await waitForStatus(cloud.demo, serverId, 'ACTIVE', { timeoutMs: BOOT_MS })
    await waitForConsoleLog(cloud.demo, serverId, /LB-MARKER-DONE role=guest/, 0)
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
    errors = watchPageErrors(page)
  })
  after(async () => {
    await browser?.close()
    // The guests are daemonized: stop what is left before the cloud (and its data folder) goes.
    if (cloud) {
      const { QemuDriver } = await import('../../src/virt/qemu/qemu-driver.js')
      const driver = new QemuDriver({ stateDir: path.join(cloud.running.config.dataDir, 'agent', 'qemu'), machineType: 'pc' })
      for (const domain of await driver.listDomains()) await driver.destroy(domain.instanceId)
    }
    await cloud?.close()
  })

  test('rescue with the button, a root shell of the rescue system in the serial console, unrescue with discard', async () => {
    await dashboardLogin(page, cloud.url, 'demo', DEMO_PASSWORD, 'demo')
    await page.click('tr[data-server="real1"]')
    const logLength = (await action(cloud.demo, serverId, { 'os-getConsoleOutput': null })).body.output.length as number
    await page.click('[data-action=rescue]')
    await page.selectOption('select[name=rescue-image]', rescueImage)
    await page.click('[data-action=confirm-rescue]')
    await waitForRow(page, 'real1', 'RESCUE', BOOT_MS)
    await waitForConsoleLog(cloud.demo, serverId, /LB-MARKER-DONE role=rescue/, logLength)
    await screenshot('rescued-with-steps')

    await page.click('[data-view=serial]')
    await page.locator('[data-console-state=connected]').waitFor({ timeout: 30_000 })
    await page.click('[data-terminal]')
    await page.keyboard.press('Enter')
    await waitForTerminalText(page, '[rescue]', 30_000)
    // What the shell prints is not what was typed: the answer came from the rescue system.
    await page.keyboard.type('echo lb-$((6*7))-ok\r')
    await waitForTerminalText(page, 'lb-42-ok', 30_000)
    await screenshot('serial-console-rescue-shell')

    await page.click('[data-action=unrescue]')
    await page.check('input[name=discard]')
    await page.click('[data-action=confirm-unrescue]')
    await waitForRow(page, 'real1', 'ACTIVE', BOOT_MS)
    await page.click('[data-view=actions]')
    await page.locator('[data-action-name=unrescue]').waitFor()
    await screenshot('unrescued')
    assert.deepEqual(errors, [])
  })
})
