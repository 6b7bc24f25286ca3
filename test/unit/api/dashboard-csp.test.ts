import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { consoleHostOf, dashboardCsp } from '../../../src/api/dashboard/csp.js'

describe('the dashboard Content-Security-Policy', () => {
  test('self only, no inline script or style but the nonce, no framing', () => {
    const csp = dashboardCsp({ protocol: 'http', hostname: '127.0.0.1', consoleProxyPort: null, styleNonce: 'abc' })
    assert.match(csp, /^default-src 'self'; script-src 'self'; style-src 'self' 'nonce-abc';/)
    assert.match(csp, /connect-src 'self';/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/)
  })

  test('connect-src adds the console proxy on the host the browser used, ws or wss as the page', () => {
    assert.match(dashboardCsp({ protocol: 'http', hostname: 'cloud.example', consoleProxyPort: 6080, styleNonce: 'n' }), /connect-src 'self' ws:\/\/cloud\.example:6080;/)
    assert.match(dashboardCsp({ protocol: 'https', hostname: '[::1]', consoleProxyPort: 6443, styleNonce: 'n' }), /connect-src 'self' wss:\/\/\[::1\]:6443;/)
  })

  test('the host comes from the Host header only when it is a plain name or address', () => {
    assert.equal(consoleHostOf('127.0.0.1:8774'), '127.0.0.1')
    assert.equal(consoleHostOf('cloud.example'), 'cloud.example')
    assert.equal(consoleHostOf('[::1]:8774'), '[::1]')
    assert.equal(consoleHostOf(undefined), null)
    assert.equal(consoleHostOf("evil; script-src 'unsafe-inline'"), null)
    assert.equal(consoleHostOf('a b:80'), null)
  })
})
