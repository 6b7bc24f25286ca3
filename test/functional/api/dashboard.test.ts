import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js'
import { DASHBOARD_DIR } from '../../../src/api/dashboard/plugin.js'

/**
 * The dashboard's page and assets on the API listener (src/api/dashboard):
 * headers, the per-response style nonce, gzip, and names outside the built
 * folder. Serving does not depend on the database: one SQLite cloud.
 */
describe('sqlite: the dashboard is served at /dashboard', { skip: fs.existsSync(`${DASHBOARD_DIR}/index.html`) ? false : 'dist/web/dashboard is not built (npm run build)' }, () => {
  let cloud: TestCloud | undefined
  before(async () => {
    cloud = await startTestCloud('sqlite')
  })
  after(async () => {
    await cloud?.close()
  })

  test('the page: HTML with a strict policy whose style nonce is the one in the page, new each time', async () => {
    const first = await fetch(`${cloud!.url}/dashboard`)
    assert.equal(first.status, 200)
    assert.match(first.headers.get('content-type') ?? '', /^text\/html/)
    const html = await first.text()
    const csp = first.headers.get('content-security-policy') ?? ''
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1]
    assert.ok(nonce, csp)
    assert.ok(html.includes(`<meta name="csp-nonce" content="${nonce}">`))
    assert.match(html, /<script type="module" src="\/dashboard\/main\.js"><\/script>/)
    assert.doesNotMatch(html, /<style|style=|<script>/, 'no inline script or style')
    assert.equal(first.headers.get('x-frame-options'), 'DENY')
    assert.equal(first.headers.get('cache-control'), 'no-store')
    const second = await fetch(`${cloud!.url}/dashboard/`)
    assert.equal(second.status, 200)
    assert.notEqual(/'nonce-([^']+)'/.exec(second.headers.get('content-security-policy') ?? '')?.[1], nonce)
  })

  test('assets: JavaScript and CSS, gzip when the client takes it', async () => {
    const js = await fetch(`${cloud!.url}/dashboard/main.js`, { headers: { 'accept-encoding': 'identity' } })
    assert.equal(js.status, 200)
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/)
    assert.equal(js.headers.get('x-content-type-options'), 'nosniff')
    const plain = Buffer.from(await js.arrayBuffer())
    const css = await fetch(`${cloud!.url}/dashboard/main.css`)
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/)
    // fetch() decodes gzip itself: the header says it came compressed, the bytes decode to the file.
    const raw = await fetch(`${cloud!.url}/dashboard/main.js`, { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(raw.headers.get('content-encoding'), 'gzip')
    assert.deepEqual(Buffer.from(await raw.arrayBuffer()), plain)
  })

  test('the bare address sends a browser to the dashboard; API clients keep the service list', async () => {
    const browser = await fetch(`${cloud!.url}/`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } })
    assert.equal(browser.status, 302)
    assert.equal(browser.headers.get('location'), '/dashboard/')
    for (const accept of ['application/json', '*/*']) {
      const client = await fetch(`${cloud!.url}/`, { redirect: 'manual', headers: { accept } })
      assert.equal(client.status, 200)
      assert.equal((await client.json()).name, 'lifeboat')
    }
  })

  test('only the built folder\'s own files: unknown names and path tricks are 404s', async () => {
    for (const name of ['nope.js', '..%2Fpackage.json', '%2E%2E%2F%2E%2E%2Fpackage.json', '.built', 'main.js%00']) {
      const res = await fetch(`${cloud!.url}/dashboard/${name}`)
      assert.ok(res.status === 404 || res.status === 400, `${name}: ${res.status}`)
      assert.doesNotMatch(await res.text(), /"name": "lifeboat"/)
    }
    const index = await fetch(`${cloud!.url}/dashboard/index.html`, { redirect: 'manual' })
    assert.equal(index.status, 302)
    assert.equal(index.headers.get('location'), '/dashboard/')
  })
})
