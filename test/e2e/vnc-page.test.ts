import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, describe, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { bootServer, createImage } from '../helpers/compute.js'
import { skipUnless } from '../helpers/tiers.js'

const CHROMIUM = process.env.LIFEBOAT_CHROMIUM ?? '/usr/bin/chromium'

/**
 * The console proxy's own noVNC page (web/vnc) in real Chromium on the fake
 * driver's tiny RFB server: the URL the console API gives connects under the
 * page's CSP, and a bad token says so instead of hanging.
 */
describe('the noVNC page in Chromium (fake driver)', { skip: skipUnless(fs.existsSync(CHROMIUM), 'Chromium', 'apt-get install chromium'), timeout: 120_000 }, () => {
  let cloud: TestCloud
  let browser: Browser
  before(async () => {
    cloud = await startTestCloud('sqlite')
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'], headless: true })
  })
  after(async () => {
    await browser?.close()
    await cloud?.close()
  })

  test('the console URL of `openstack console url show --novnc` connects, and a bad token is reported', async () => {
    const server = await bootServer(cloud.demo, { imageRef: await createImage(cloud.admin) })
    const res = await cloud.demo.request('POST', `/compute/v2.1/servers/${server.id}/remote-consoles`, {
      body: { remote_console: { protocol: 'vnc', type: 'novnc' } }, microversion: '2.6',
    })
    assert.equal(res.status, 200, res.text)
    const url: string = res.body.remote_console.url
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) problems.push(message.text()) })
    await page.goto(url)
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Connected'), null, { timeout: 15_000 })
    assert.ok(await page.$('#screen canvas'), 'noVNC drew its canvas')
    await page.goto(url.replace('token%3D', 'token%3Dbad'))
    await page.waitForFunction(() => document.getElementById('status')?.classList.contains('error'), null, { timeout: 15_000 })
    assert.match(await page.textContent('#status') ?? '', /token may be invalid or expired/)
    assert.deepEqual(problems, [])
  })
})
