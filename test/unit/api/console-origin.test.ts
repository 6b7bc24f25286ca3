import assert from 'node:assert/strict'
import { test } from 'node:test'
import { originProblem } from '../../../src/api/console/origin-check.js'
import { consoleTokenOf } from '../../../src/api/console/console-proxy.js'

const VNC = 'http://203.0.113.5:6080/vnc_auto.html'
const SERIAL = 'ws://203.0.113.5:6080/'

test('Origin as Nova checks it: missing passes; the Host header\'s hostname and the console URL\'s scheme pass', () => {
  assert.equal(originProblem({ host: '203.0.113.5:6080' }, VNC), null)
  assert.equal(originProblem({ host: '203.0.113.5:6080', origin: 'http://203.0.113.5:6080' }, VNC), null)
  assert.equal(originProblem({ host: '203.0.113.5:6080', origin: 'http://203.0.113.5' }, VNC), null, 'ports are not compared')
  assert.equal(originProblem({ host: '[::1]:6080', origin: 'http://[::1]:6080' }, 'http://[::1]:6080/vnc_auto.html'), null)
  assert.equal(originProblem({ host: 'Console.Example:6080', origin: 'http://console.example:8080' }, VNC), null)
  assert.equal(originProblem({ host: '203.0.113.5:6080', origin: 'http://203.0.113.5' }, SERIAL), null, 'a ws URL accepts an http page')
  assert.equal(originProblem({ host: 'proxy.example', origin: 'http://dash.example' }, VNC, ['dash.example']), null, 'allowed origins')
})

test('Origin as Nova checks it: another host, another scheme or a malformed Origin is refused with Nova\'s reason', () => {
  assert.equal(originProblem({ host: '203.0.113.5:6080', origin: 'http://evil.example' }, VNC), 'Origin header does not match this host.')
  assert.equal(originProblem({ host: '203.0.113.5:6080', origin: 'https://203.0.113.5:6080' }, VNC), 'Origin header protocol does not match this host.')
  assert.equal(originProblem({ host: '203.0.113.5:6080', origin: 'http://203.0.113.5', 'x-forwarded-proto': 'https' }, VNC), 'Origin header protocol does not match this host.')
  assert.equal(originProblem({ host: '203.0.113.5:6080', origin: 'null' }, VNC), 'Origin header not valid.')
  assert.equal(originProblem({ host: '203.0.113.5:6080', origin: 'file://' }, VNC), 'Origin header not valid.')
  assert.equal(originProblem({ origin: 'http://203.0.113.5' }, VNC), 'Origin header does not match this host.', 'no Host header')
})

test('the console token comes from ?token= first, else the token cookie', () => {
  assert.equal(consoleTokenOf({ url: '/?token=abc', headers: { cookie: 'token=def' } }), 'abc')
  assert.equal(consoleTokenOf({ url: '/websockify', headers: { cookie: 'path=%3Ftoken%3Dx; token=def' } }), 'def')
  assert.equal(consoleTokenOf({ url: '/', headers: { cookie: 'path=%3Ftoken%3Dx' } }), null)
  assert.equal(consoleTokenOf({ url: '/', headers: {} }), null)
})
