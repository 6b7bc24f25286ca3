import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { bootServer, createImage } from '../helpers/compute.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'

/** The console proxy port the cloud puts in console URLs (the proxy itself is not started here). */
const PROXY_PORT = 6198

describe('openstack CLI: console url show', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  before(async () => {
    cloud = await startTestCloud('sqlite', {}, { consoleProxyPort: PROXY_PORT })
    await bootServer(cloud.admin, { imageRef: await createImage(cloud.admin), name: 'console-vm' })
  })
  after(async () => {
    await cloud?.close()
  })

  test('--serial and --novnc print the proxy URLs with a token (remote-consoles and the ≤ 2.5 actions)', async () => {
    for (const version of [[], ['--os-compute-api-version', '2.1']]) {
      const serial = await openstackJson(cloud, 'lifeboat-admin', [...version, 'console', 'url', 'show', '--serial', 'console-vm'])
      assert.equal(serial.type, 'serial', JSON.stringify(serial))
      // The SDK takes remote-consoles from 2.6 (its answer names the protocol), the action before.
      assert.equal(serial.protocol, version.length === 0 ? 'serial' : undefined, JSON.stringify(serial))
      assert.match(serial.url, new RegExp(`^ws://127\\.0\\.0\\.1:${PROXY_PORT}/\\?token=[0-9a-f-]{36}$`))
      const vnc = await openstackJson(cloud, 'lifeboat-admin', [...version, 'console', 'url', 'show', '--novnc', 'console-vm'])
      assert.equal(vnc.type, 'novnc', JSON.stringify(vnc))
      assert.match(vnc.url, new RegExp(`^http://127\\.0\\.0\\.1:${PROXY_PORT}/vnc_auto\\.html\\?path=%3Ftoken%3D[0-9a-f-]{36}$`))
    }
  })

  test('a console type Lifeboat does not serve fails with Nova\'s message', async () => {
    const spice = await openstack(cloud, 'lifeboat-admin', ['console', 'url', 'show', '--spice', 'console-vm'])
    assert.notEqual(spice.code, 0)
    assert.match(spice.stderr, /Unavailable console type spice-html5\./)
  })
})
