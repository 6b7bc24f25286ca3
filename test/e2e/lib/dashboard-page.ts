import type { Page } from 'playwright-core'

/** How long one dashboard step may take on the fake driver (QEMU steps pass their own). */
export const STEP_MS = 20_000

/** Logs in through the dashboard's form (domain Default) and waits for the servers view. */
export async function dashboardLogin(page: Page, baseUrl: string, user: string, password: string, project: string, beforeSubmit?: () => Promise<unknown>): Promise<void> {
  await page.goto(`${baseUrl}/dashboard`)
  await page.fill('input[name=user]', user)
  await page.fill('input[name=password]', password)
  await page.fill('input[name=project]', project)
  await beforeSubmit?.()
  await page.click('button[type=submit]')
  await page.getByRole('heading', { name: 'Servers' }).waitFor({ timeout: STEP_MS })
}

/** Waits until the server list shows `name` with `status` and no task running. */
export async function waitForRow(page: Page, name: string, status: string, timeoutMs = STEP_MS): Promise<void> {
  await page.locator(`tr[data-server="${name}"] [data-status="${status}"]`).waitFor({ timeout: timeoutMs })
  await page.waitForFunction((n) => document.querySelector(`tr[data-server="${n}"] td:nth-child(3)`)?.textContent === '', name, { timeout: timeoutMs })
}

/** Waits until the serial console's terminal shows `text` (the terminal never echoes locally). */
export async function waitForTerminalText(page: Page, text: string, timeoutMs = STEP_MS): Promise<void> {
  await page.waitForFunction((t) => document.querySelector('[data-terminal] .xterm-rows')?.textContent?.includes(t), text, { timeout: timeoutMs })
}
