import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { runLifeboat } from '../helpers/lifeboat-process.js'

/**
 * `lifeboat agent` as a process: a credential never crosses a network in
 * clear (issue 16), so a plain-HTTP control URL off loopback stops it at
 * start unless the operator says the network is trusted; a --host-ip that is
 * not an address stops it too. No control plane is needed: both checks come
 * before the agent connects.
 */
describe('lifeboat agent: a credential never crosses a network in clear', () => {
  const common = ['--host', 'h1', '--credential-file', '/nonexistent/credential', '--driver', 'fake']

  test('a plain-HTTP control URL off this machine is refused unless --insecure-http; a bad --host-ip is refused', async () => {
    const refused = await runLifeboat(['agent', '--control-url', 'http://192.0.2.1:8774', ...common])
    assert.equal(refused.code, 1, refused.stdout)
    assert.match(refused.stderr, /Refusing plain-HTTP control URL http:\/\/192\.0\.2\.1:8774: this host's agent credential would cross the network in clear.*--insecure-http/)
    // Allowed with the flag (or LIFEBOAT_INSECURE_HTTP=true): it then gets as far as the next check.
    for (const [extra, env] of [[['--insecure-http'], {}], [[], { LIFEBOAT_INSECURE_HTTP: 'true' }]] as const) {
      const allowed = await runLifeboat(['agent', '--control-url', 'http://192.0.2.1:8774', ...common, '--host-ip', 'not-an-ip', ...extra], env)
      assert.equal(allowed.code, 1, allowed.stdout)
      assert.match(allowed.stderr, /--insecure-http\): this host's agent credential crosses the network in clear/)
      assert.match(allowed.stderr, /--host-ip not-an-ip is not an IP address/)
    }
    const notUrl = await runLifeboat(['agent', '--control-url', 'control:8774', ...common])
    assert.equal(notUrl.code, 1)
    assert.match(notUrl.stderr, /only http:\/\/ and https:\/\/ are supported/)
  })
})
