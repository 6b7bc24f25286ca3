import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { ADMIN_PASSWORD, DEMO_PASSWORD, startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { action, createImage, waitForStatus } from '../helpers/compute.js'
import { artifactDir, chromiumSkip, launchChromium, watchPageErrors } from '../helpers/browser.js'
import { STEP_MS, dashboardLogin, waitForRow as waitForServerRow, waitForTerminalText } from './lib/dashboard-page.js'

/**
 * The web dashboard in real Chromium (playwright-core, Debian's chromium) on
 * the fake driver: log in, boot, rescue with the button and watch the steps,
 * the serial console, unrescue discarding the changes, a volume-backed
 * server's rescue and a refused rescue's reason. Each step leaves a
 * screenshot in test-artifacts/dashboard/ (gitignored).
 */
const STABLE_RESCUE = { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' }

describe('the dashboard in Chromium (fake driver)', { skip: chromiumSkip(), timeout: 180_000 }, () => {
  let cloud: TestCloud
  let browser: Browser
  let page: Page
  let errors: string[]
  let guestImage: string
  let rescueImage: string
  const shots = artifactDir('dashboard')
  let step = 0
  const screenshot = (name: string) => page.screenshot({ path: path.join(shots, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true })

  const waitForRow = (name: string, status: string) => waitForServerRow(page, name, status)
  const serverId = async (name: string): Promise<string> => {
    const list = await cloud.demo.request('GET', `/compute/v2.1/servers?name=^${name}$`)
    return list.body.servers[0].id
  }

  before(async () => {
    cloud = await startTestCloud('sqlite')
    guestImage = await createImage(cloud.admin, { name: 'guest' })
    rescueImage = await createImage(cloud.admin, { name: 'rescue-stable', properties: STABLE_RESCUE })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
    errors = watchPageErrors(page)
  })
  after(async () => {
    await browser?.close()
    await cloud?.close()
  })

  test('the page comes with a strict Content-Security-Policy and logs in with Keystone', async () => {
    const served = await page.context().request.get(`${cloud.url}/dashboard`)
    const csp = served.headers()['content-security-policy'] ?? ''
    assert.match(csp, /default-src 'self'/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    await dashboardLogin(page, cloud.url, 'demo', DEMO_PASSWORD, 'demo', () => screenshot('login'))
    assert.match(await page.locator('.who').innerText(), /demo · project demo/)
    // The token is the tab's only (sessionStorage), never a cookie.
    assert.ok(await page.evaluate(() => sessionStorage.getItem('lifeboat.session')?.includes('"token"')))
    assert.deepEqual(await page.context().cookies(), [])
  })

  test('boots a server from the create form and shows it ACTIVE', async () => {
    await page.click('[data-action=new-server]')
    await page.fill('form.create input[name=name]', 'web1')
    await page.selectOption('form.create select[name=image]', guestImage)
    await screenshot('create-server')
    await page.click('form.create button[type=submit]')
    await waitForRow('web1', 'ACTIVE')
    await screenshot('server-active')
  })

  test('rescues the server with the button and shows each rescue step in the actions', async () => {
    await page.click('tr[data-server="web1"]')
    await page.click('[data-action=rescue]')
    await page.selectOption('select[name=rescue-image]', rescueImage)
    await page.fill('input[name=rescue-timeout]', '30')
    await screenshot('rescue-form')
    await page.click('[data-action=confirm-rescue]')
    await waitForRow('web1', 'RESCUE')
    const rescue = page.locator('[data-action-name=rescue]')
    await rescue.locator('tr[data-event]').first().waitFor({ timeout: STEP_MS })
    await page.waitForFunction(() => [...document.querySelectorAll('[data-action-name=rescue] tr[data-event] td:nth-child(2)')].every((td) => td.textContent === 'Success'), undefined, { timeout: STEP_MS })
    const events = await rescue.locator('tr[data-event]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event')))
    assert.ok(events.length >= 1, 'the rescue action lists its events')
    // The same steps the API reports.
    const id = await serverId('web1')
    const actions = await cloud.demo.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions`, { microversion: '2.87' })
    const rescueAction = actions.body.instanceActions.find((a: { action: string }) => a.action === 'rescue')
    const detail = await cloud.demo.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${rescueAction.request_id}`, { microversion: '2.87' })
    assert.deepEqual([...events].sort(), detail.body.instanceAction.events.map((e: { event: string }) => e.event).sort())
    assert.match(await page.locator('[data-notice]').innerText(), /Rescue started/)
    await screenshot('rescued-with-steps')
  })

  test('opens the serial console of the rescued server in the page', async (t) => {
    await page.click('[data-view=serial]')
    await page.locator('[data-terminal] .xterm').waitFor({ timeout: STEP_MS })
    const probe = await cloud.demo.request('POST', `/compute/v2.1/servers/${await serverId('web1')}/remote-consoles`,
      { body: { remote_console: { protocol: 'serial', type: 'serial' } }, microversion: '2.87' })
    if (probe.status !== 200) {
      // Without the console API the page says why, and the terminal still renders under the CSP.
      await page.locator('[data-console-state^="unavailable"]').waitFor({ timeout: STEP_MS })
      await screenshot('serial-console-unavailable')
      t.skip(`the console API is not there yet (POST remote-consoles answered ${probe.status})`)
      return
    }
    await page.locator('[data-console-state=connected]').waitFor({ timeout: STEP_MS })
    await page.click('[data-terminal]')
    await page.keyboard.type('echo hello-from-the-dashboard\r')
    // The terminal never echoes locally: the text on screen came back from the guest through the proxy.
    await waitForTerminalText(page, 'hello-from-the-dashboard')
    await screenshot('serial-console')
  })

  test('opens the VNC console of the rescued server in the page', async (t) => {
    const probe = await cloud.demo.request('POST', `/compute/v2.1/servers/${await serverId('web1')}/remote-consoles`,
      { body: { remote_console: { protocol: 'vnc', type: 'novnc' } }, microversion: '2.87' })
    if (probe.status !== 200) {
      t.skip(`the console API is not there yet (POST remote-consoles answered ${probe.status})`)
      return
    }
    await page.click('[data-view=vnc]')
    await page.locator('[data-console-state=connected]').waitFor({ timeout: STEP_MS })
    await page.locator('[data-vnc] canvas').waitFor({ timeout: STEP_MS })
    await screenshot('vnc-console')
  })

  test('unrescues, discarding the changes', async () => {
    await page.click('[data-action=unrescue]')
    await page.check('input[name=discard]')
    await screenshot('unrescue-form')
    await page.click('[data-action=confirm-unrescue]')
    await waitForRow('web1', 'ACTIVE')
    await page.click('[data-view=actions]')
    await page.locator('[data-action-name=unrescue]').waitFor({ timeout: STEP_MS })
    assert.match(await page.locator('[data-notice]').innerText(), /discarded/)
    await screenshot('unrescued')
  })

  test('a volume-backed server: a refused rescue shows the API\'s reason, then a stable-rescue image rescues it', async () => {
    await page.click('[data-action=new-server]')
    await page.fill('form.create input[name=name]', 'bfv1')
    await page.selectOption('form.create select[name=image]', guestImage)
    await page.fill('form.create input[name=volume-size]', '1')
    await page.click('form.create button[type=submit]')
    await waitForRow('bfv1', 'ACTIVE')
    const id = await serverId('bfv1')
    const server = await waitForStatus(cloud.demo, id, 'ACTIVE', { microversion: '2.87' })
    assert.equal(server.image, '', 'booted from a volume')
    // The server's own image has no hw_rescue_* properties: Nova's 400 and its message, shown as is.
    await page.click('tr[data-server="bfv1"]')
    await page.click('[data-action=rescue]')
    await page.locator('select[name=rescue-image]').waitFor()
    await page.click('[data-action=confirm-rescue]')
    const shown = await page.locator('[data-error=rescue]').innerText({ timeout: STEP_MS })
    const direct = await action(cloud.demo, id, { rescue: {} }, '2.87')
    assert.equal(direct.status, 400, direct.text)
    assert.equal(shown, direct.body.badRequest.message)
    await screenshot('bfv-rescue-refused')
    await page.selectOption('select[name=rescue-image]', rescueImage)
    await page.click('[data-action=confirm-rescue]')
    await waitForRow('bfv1', 'RESCUE')
    await screenshot('bfv-rescued')
  })

  test('key pairs: create one (its private key shown once) and see it listed', async () => {
    await page.click('[data-tab=keypairs]')
    await page.fill('input[name=keypair-name]', 'rescue-key')
    await page.click('form.create button[type=submit]')
    assert.match(await page.locator('[data-private-key]').inputValue({ timeout: STEP_MS }), /PRIVATE KEY/)
    await page.locator('tr[data-keypair="rescue-key"]').waitFor({ timeout: STEP_MS })
    await screenshot('keypairs')
  })

  test('floating IPs: allocate, associate with a server, disassociate, release', async () => {
    await page.click('[data-tab=floating-ips]')
    await page.click('[data-action=allocate]')
    const row = page.locator('tr[data-fip]').first()
    await row.waitFor({ timeout: STEP_MS })
    const address = await row.getAttribute('data-fip')
    await row.locator('select[name=associate]').selectOption({ label: 'web1' })
    await row.locator('[data-action=disassociate]').waitFor({ timeout: STEP_MS })
    assert.match(await row.innerText(), /web1/)
    const fips = await cloud.demo.request('GET', '/network/v2.0/floatingips')
    assert.ok(fips.body.floatingips.some((f: { floating_ip_address: string; port_id: string | null }) => f.floating_ip_address === address && f.port_id))
    await screenshot('floating-ip-associated')
    await row.locator('[data-action=disassociate]').click()
    await row.locator('select[name=associate]').waitFor({ timeout: STEP_MS })
    await row.locator('[data-action=release]').click()
    await page.locator(`tr[data-fip="${address}"]`).waitFor({ state: 'detached', timeout: STEP_MS })
  })

  test('rebuilds a server from the actions menu with another image; the new password is shown', async () => {
    await page.click('[data-tab=servers]')
    await page.click('tr[data-server="web1"]')
    await page.click('[data-action=rebuild]')
    await page.selectOption('select[name=rebuild-image]', rescueImage)
    await screenshot('rebuild-form')
    await page.click('[data-action=confirm-rebuild]')
    await page.waitForFunction(() => /Rebuild started\. New password: \S+/.test(document.querySelector('[data-notice]')?.textContent ?? ''), undefined, { timeout: STEP_MS })
    const id = await serverId('web1')
    await waitForStatus(cloud.demo, id, 'ACTIVE')
    await waitForRow('web1', 'ACTIVE')
    assert.equal((await cloud.demo.request('GET', `/compute/v2.1/servers/${id}`)).body.server.image.id, rescueImage)
    await screenshot('rebuilt')
  })

  test('shelves (offloaded at once) and unshelves a server from the actions menu', async (t) => {
    // Shelve comes from another branch of issue 15: a build without it answers 400 "There is no such action".
    const probe = await cloud.demo.request('POST', '/compute/v2.1/servers/00000000-0000-4000-8000-000000000000/action', { body: { shelve: null } })
    if (probe.status !== 404) return t.skip('shelve is not on this build')
    await page.click('tr[data-server="web1"]')
    await page.click('[data-action=shelve]')
    await waitForRow('web1', 'SHELVED_OFFLOADED')
    await screenshot('shelved')
    await page.click('[data-action=unshelve]')
    await waitForRow('web1', 'ACTIVE')
    await screenshot('unshelved')
  })

  test('an admin resets a server\'s state to error from the actions menu; members are not offered it', async () => {
    assert.equal(await page.locator('[data-action=reset-state]').count(), 0)
    const created = await cloud.admin.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'admin1', flavorRef: '1', imageRef: guestImage, networks: 'none' } }, microversion: '2.37' })
    assert.equal(created.status, 202, created.text)
    await waitForStatus(cloud.admin, created.body.server.id, 'ACTIVE')
    const adminPage = await browser.newPage({ viewport: { width: 1280, height: 860 } })
    const adminErrors = watchPageErrors(adminPage)
    try {
      await dashboardLogin(adminPage, cloud.url, 'admin', ADMIN_PASSWORD, 'admin')
      await waitForServerRow(adminPage, 'admin1', 'ACTIVE')
      await adminPage.click('tr[data-server="admin1"]')
      await adminPage.click('[data-action=reset-state]')
      await adminPage.selectOption('select[name=reset-state]', 'error')
      await adminPage.click('[data-action=confirm-reset-state]')
      await waitForServerRow(adminPage, 'admin1', 'ERROR')
      await adminPage.screenshot({ path: path.join(shots, 'admin-reset-state.png'), fullPage: true })
      assert.deepEqual(adminErrors, [])
    } finally {
      await adminPage.close()
    }
  })

  test('no uncaught error and no Content-Security-Policy violation on the way', () => {
    assert.deepEqual(errors, [])
  })
})
