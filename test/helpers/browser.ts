import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { skipUnless } from './tiers.js'

/** Debian's `chromium` (what CI installs, .ci/run); LIFEBOAT_CHROMIUM points elsewhere. */
export const CHROMIUM_PATH = process.env.LIFEBOAT_CHROMIUM ?? '/usr/bin/chromium'

/** The browser tests' `skip` option: a reason when chromium is missing (a failure under LIFEBOAT_REQUIRE_ALL=1). */
export function chromiumSkip(): string | false {
  return skipUnless(fs.existsSync(CHROMIUM_PATH), `chromium (${CHROMIUM_PATH})`, 'apt-get install chromium (or set LIFEBOAT_CHROMIUM)')
}

/** Flags for a headless Chromium in a container: no sandbox (no user namespaces), no GPU, no background traffic. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']

/** Starts headless Chromium (playwright-core gives each launch a fresh, temporary user-data dir). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true })
}

/** Where screenshots of the browser tests go (gitignored): test-artifacts/<suite>/, emptied for each run. */
export function artifactDir(suite: string): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
  const dir = path.join(process.env.LIFEBOAT_TEST_ARTIFACTS ?? path.join(root, 'test-artifacts'), suite)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

/**
 * Collects what a page reports as going wrong: uncaught errors and Content-Security-Policy
 * violations (console errors about refused API answers, e.g. a refused rescue's 400, are expected).
 */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) errors.push(`console: ${message.text()}`)
  })
  return errors
}
