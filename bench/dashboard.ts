import fs from 'node:fs'
import type { Browser } from 'playwright-core'
import { ensureBuilt } from '../scripts/build.mjs'
import { startBenchCloud } from './lib/cloud.js'
import { latencyLine, note, section } from './lib/report.js'
import { verdict } from './lib/stats.js'
import { CHROMIUM_PATH, launchChromium } from '../test/helpers/browser.js'

/** Issue 14's goals for the dashboard's first load. */
const GOAL_BYTES = 300 * 1024
const GOAL_INTERACTIVE_MS = 500
const LOADS = 10

/** One cold load in a fresh browser context: bytes on the wire (compressed bodies + headers) and time to interactive. */
async function coldLoad(browser: Browser, url: string): Promise<{ bytes: number; files: number; interactiveMs: number }> {
  const context = await browser.newContext()
  const page = await context.newPage()
  const responses: Array<Promise<number>> = []
  page.on('requestfinished', (request) => responses.push(request.sizes().then((s) => s.responseBodySize + s.responseHeadersSize)))
  await page.goto(url, { waitUntil: 'load' })
  await page.waitForSelector('form.login')
  const interactiveMs = await page.evaluate(() => performance.getEntriesByName('lifeboat:interactive')[0]?.startTime ?? Number.NaN)
  const sizes = await Promise.all(responses)
  await context.close()
  return { bytes: sizes.reduce((a, b) => a + b, 0), files: sizes.length, interactiveMs }
}

/**
 * The dashboard's first load in Chromium on loopback: every asset's bytes as
 * sent (gzip), and the time from navigation start until the page answers input
 * (the `lifeboat:interactive` mark set right after the first render).
 */
export async function runDashboardBench(): Promise<void> {
  section('dashboard first load (Chromium, loopback, cold cache each load)')
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`chromium is not installed (${CHROMIUM_PATH}): apt-get install chromium`)
  await ensureBuilt()
  const cloud = await startBenchCloud()
  const browser = await launchChromium()
  try {
    const url = `${cloud.running.url}/dashboard`
    await coldLoad(browser, url) // warm the server's file cache and the browser's process
    const loads = []
    for (let i = 0; i < LOADS; i++) loads.push(await coldLoad(browser, url))
    const { bytes, files } = loads[0]!
    const kib = (bytes / 1024).toFixed(1)
    note(`${'first load, all assets (compressed, + headers)'.padEnd(46)} ${`${kib} KiB`.padStart(10)} in ${files} responses   [goal ≤ ${GOAL_BYTES / 1024} KiB: ${verdict(bytes, GOAL_BYTES)}]`)
    latencyLine('navigation start → interactive', loads.map((l) => l.interactiveMs), [{ figure: 'median', atMost: GOAL_INTERACTIVE_MS }])
  } finally {
    await browser.close()
    await cloud.close()
  }
}
