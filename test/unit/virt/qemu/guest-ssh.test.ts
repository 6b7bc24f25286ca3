import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { describe, test } from 'node:test'
import { configDriveFiles } from '../../../../src/virt/qemu/config-drive.js'
import { GUEST_SSH_FUNCTIONS, PUBLIC_KEYS_AWK, UDHCPC_SCRIPT } from '../../../../src/virt/qemu/guest-image/guest-ssh.js'
import { INIT_SCRIPT } from '../../../../src/virt/qemu/guest-image/init-script.js'
import { skipUnless } from '../../../helpers/tiers.js'

const BUSYBOX = '/bin/busybox'
const skip = skipUnless(fs.existsSync(BUSYBOX), 'busybox (the images run their awk and sh with it)', 'apt-get install busybox-static')

/** Runs the images' public_keys reader with the host's busybox awk, as the guest does. */
function publicKeys(metaData: string): { keys: string[]; status: number | null } {
  const run = spawnSync(BUSYBOX, ['awk', PUBLIC_KEYS_AWK], { input: metaData, encoding: 'utf8' })
  return { keys: run.stdout.split('\n').filter((line) => line !== ''), status: run.status }
}

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH8m+/x/y alice@laptop'
const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7+/== bob'

describe('public_keys reader (busybox awk, no JSON tool in the image)', { skip }, () => {
  test('reads every key of a config drive as Lifeboat writes it, in order', () => {
    const files = configDriveFiles({
      metaData: { uuid: 'u', name: 's', hostname: 's', public_keys: { alice: `${ED}\n`, bob: RSA }, keys: [{ name: 'alice', type: 'ssh', data: ED }], meta: { role: 'web' } },
      userData: null, networkData: { links: [], networks: [], services: [] },
    })
    assert.deepEqual(publicKeys(files.get('openstack/latest/meta_data.json')!), { keys: [ED, RSA], status: 0 })
  })

  test('decodes JSON escapes (\\/, \\n, \\r\\n, \\u) and splits a value holding several keys', () => {
    const md = String.raw`{"public_keys": {"k\u00e9": "ssh-rsa AAAA\/B== two\r\nssh-ed25519 CCCC three\n", "x": "ecdsa-sha2-nistp256 DDD\u003d four"}}`
    assert.deepEqual(publicKeys(md).keys, ['ssh-rsa AAAA/B== two', 'ssh-ed25519 CCCC three', 'ecdsa-sha2-nistp256 DDD= four'])
  })

  test('reads pretty-printed JSON across lines, with numbers, booleans, null and arrays around it', () => {
    const md = JSON.stringify({ launch_index: 0, n: -1.5e3, ok: true, none: null, devices: [], keys: [{ data: 'ssh-rsa NOT-THIS' }], public_keys: { a: ED } }, null, 2)
    assert.deepEqual(publicKeys(md), { keys: [ED], status: 0 })
  })

  test('ignores "public_keys" anywhere but at the top level, also inside strings', () => {
    const md = JSON.stringify({ meta: { public_keys: 'ssh-rsa NOT-META', nested: '"public_keys": {"z": "ssh-rsa NOT-STRING"}' }, user: { public_keys: { z: 'ssh-rsa NOT-NESTED' } }, public_keys: { a: ED } })
    assert.deepEqual(publicKeys(md).keys, [ED])
  })

  test('no public_keys, or an empty object: no keys and success', () => {
    assert.deepEqual(publicKeys('{"uuid": "u"}'), { keys: [], status: 0 })
    assert.deepEqual(publicKeys('{"public_keys": {}}'), { keys: [], status: 0 })
    assert.deepEqual(publicKeys('{}'), { keys: [], status: 0 })
  })

  test('malformed JSON: nothing printed and a failure status (the init then installs no key)', () => {
    for (const bad of ['', '{"public_keys": {"a": "ssh-rsa X"', '{"public_keys": {"a": "ssh-rsa X"}} trailing', '[1, 2]', '{"a" 1}', '{"public_keys": {"a": "bad \\q escape"}}', '{"a": "unterminated}']) {
      const result = publicKeys(bad)
      assert.deepEqual(result.keys, [], bad)
      assert.equal(result.status, 1, bad)
    }
  })

  test('the init script, the udhcpc event script and the functions are valid busybox sh', () => {
    for (const script of [INIT_SCRIPT, UDHCPC_SCRIPT, GUEST_SSH_FUNCTIONS]) {
      const run = spawnSync(BUSYBOX, ['sh', '-n'], { input: script, encoding: 'utf8' })
      assert.equal(run.status, 0, run.stderr)
    }
  })
})
