import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { consoleUrl } from '../../../src/api/compute/console-urls.js'
import { parseRemoteConsoleBody } from '../../../src/api/compute/schemas/remote-consoles.js'
import { parseMicroversion } from '../../../src/api/common/microversion.js'
import { consoleAccessUrl } from '../../../src/services/compute/remote-consoles.js'
import { InvalidRequest } from '../../../src/services/errors.js'

describe('console URLs', () => {
  test('noVNC page and serial websocket, http/ws or https/wss, IPv6 bracketed', () => {
    assert.equal(consoleUrl('novnc', 'cloud.example', 6080, false), 'http://cloud.example:6080/vnc_auto.html')
    assert.equal(consoleUrl('novnc', 'cloud.example', 6080, true), 'https://cloud.example:6080/vnc_auto.html')
    assert.equal(consoleUrl('serial', '10.0.0.5', 6080, false), 'ws://10.0.0.5:6080/')
    assert.equal(consoleUrl('serial', '10.0.0.5', 6080, true), 'wss://10.0.0.5:6080/')
    assert.equal(consoleUrl('serial', '::1', 6083, false), 'ws://[::1]:6083/')
    assert.equal(consoleUrl('novnc', '[fd00::5]', 6083, false), 'http://[fd00::5]:6083/vnc_auto.html')
  })

  test("Nova's access_url: noVNC takes the token in its path parameter, the serial proxy as token", () => {
    const token = '0b9d5d3e-3f1b-4a8e-9f55-7d1b2c3d4e5f'
    assert.equal(consoleAccessUrl('novnc', 'http://h:6080/vnc_auto.html', token), `http://h:6080/vnc_auto.html?path=%3Ftoken%3D${token}`)
    assert.equal(consoleAccessUrl('serial', 'ws://h:6080/', token), `ws://h:6080/?token=${token}`)
  })
})

describe('remote-consoles request body (create_v26 / create_v28)', () => {
  const v26 = parseMicroversion('2.6')
  const v28 = parseMicroversion('2.8')
  const refusal = (body: unknown, microversion = v26) => {
    try {
      parseRemoteConsoleBody(body, microversion)
    } catch (error) {
      assert.ok(error instanceof InvalidRequest)
      return error.message
    }
    return assert.fail('accepted')
  }

  test('every pair of the enums passes the schema; mks/webmks only from 2.8', () => {
    assert.deepEqual(parseRemoteConsoleBody({ remote_console: { protocol: 'serial', type: 'serial' } }, v26), { protocol: 'serial', type: 'serial' })
    assert.deepEqual(parseRemoteConsoleBody({ remote_console: { protocol: 'rdp', type: 'rdp-html5' } }, v26), { protocol: 'rdp', type: 'rdp-html5' })
    assert.deepEqual(parseRemoteConsoleBody({ remote_console: { protocol: 'mks', type: 'webmks' } }, v28), { protocol: 'mks', type: 'webmks' })
    assert.equal(refusal({ remote_console: { protocol: 'mks', type: 'webmks' } }),
      "Invalid input for field/attribute protocol. Value: mks. 'mks' is not one of ['vnc', 'spice', 'serial', 'rdp']")
    assert.equal(refusal({ remote_console: { protocol: 'vnc', type: 'webmks' } }),
      "Invalid input for field/attribute type. Value: webmks. 'webmks' is not one of ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5']")
  })

  test("refusals carry Nova's jsonschema words", () => {
    assert.equal(refusal({}), "'remote_console' is a required property")
    assert.equal(refusal('x'), "'x' is not of type 'object'")
    assert.equal(refusal({ remote_console: { protocol: 'vnc' } }), "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc'}. 'type' is a required property")
    assert.equal(refusal({ remote_console: { protocol: 'vnc', type: 'novnc', x: 1 } }),
      "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc', 'type': 'novnc', 'x': 1}. Additional properties are not allowed ('x' was unexpected)")
    assert.equal(refusal({ remote_console: { protocol: 1, type: 'novnc' } }), "Invalid input for field/attribute protocol. Value: 1. 1 is not of type 'string'")
    assert.equal(refusal({ remote_console: { protocol: 'vnc', type: 'novnc' }, extra: true }), "Additional properties are not allowed ('extra' was unexpected)")
  })
})
