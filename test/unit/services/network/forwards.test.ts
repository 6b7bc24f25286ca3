import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { allowedTcpPorts, forwardsFor, hostPortFor, MAX_PORTS_PER_RULE, type ForwardRule } from '../../../../src/services/network/forwards.js'

const FIP = '127.42.0.5'
const rule = (fields: Partial<ForwardRule>): ForwardRule => ({
  direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null, ...fields,
})

describe('floating IP forwards from security group rules', () => {
  test('a TCP rule with a range forwards each port of it', () => {
    assert.deepEqual(allowedTcpPorts([rule({ portRangeMin: 80, portRangeMax: 82 }), rule({ portRangeMin: 22, portRangeMax: 22 })], true, FIP), [22, 80, 81, 82])
    assert.deepEqual(allowedTcpPorts([rule({ protocol: '6', portRangeMin: 8080, portRangeMax: 8080 })], true, FIP), [8080])
  })

  test('a wide range is cut to its first MAX_PORTS_PER_RULE ports', () => {
    const ports = allowedTcpPorts([rule({ portRangeMin: 1000, portRangeMax: 5000 })], true, FIP)
    assert.equal(ports.length, MAX_PORTS_PER_RULE)
    assert.equal(ports[0], 1000)
    assert.equal(ports.at(-1), 1000 + MAX_PORTS_PER_RULE - 1)
  })

  test('all TCP (no range, or any protocol) forwards 22 only; so does a port without port security', () => {
    assert.deepEqual(allowedTcpPorts([rule({})], true, FIP), [22])
    assert.deepEqual(allowedTcpPorts([rule({ protocol: null })], true, FIP), [22])
    assert.deepEqual(allowedTcpPorts([], false, FIP), [22])
  })

  test('egress, IPv6, other protocols, remote groups and prefixes without the address forward nothing', () => {
    const none = [
      rule({ direction: 'egress', portRangeMin: 22, portRangeMax: 22 }),
      rule({ ethertype: 'IPv6', portRangeMin: 22, portRangeMax: 22 }),
      rule({ protocol: 'udp', portRangeMin: 53, portRangeMax: 53 }),
      rule({ protocol: 'icmp' }),
      rule({ protocol: null, remoteGroupId: 'g' }),
      rule({ portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '10.0.0.0/8' }),
    ]
    assert.deepEqual(allowedTcpPorts(none, true, FIP), [])
    assert.deepEqual(allowedTcpPorts([rule({ portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '127.0.0.0/8' })], true, FIP), [22])
    assert.deepEqual(allowedTcpPorts([rule({ portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' })], true, FIP), [22])
  })

  test('the default group (egress any, ingress from itself) forwards nothing', () => {
    const defaults = [
      rule({ direction: 'egress', protocol: null }), rule({ direction: 'egress', ethertype: 'IPv6', protocol: null }),
      rule({ protocol: null, remoteGroupId: 'self' }), rule({ ethertype: 'IPv6', protocol: null, remoteGroupId: 'self' }),
    ]
    assert.deepEqual(allowedTcpPorts(defaults, true, FIP), [])
  })

  test('host ports: below 1024 moved up by the offset, others kept; offset 0 keeps all', () => {
    assert.equal(hostPortFor(22, 10000), 10022)
    assert.equal(hostPortFor(1023, 10000), 11023)
    assert.equal(hostPortFor(1024, 10000), 1024)
    assert.equal(hostPortFor(22, 0), 22)
  })

  test('forwardsFor: one forward per floating IP and allowed port', () => {
    const rules = [rule({ portRangeMin: 22, portRangeMax: 22 }), rule({ portRangeMin: 8080, portRangeMax: 8080 })]
    assert.deepEqual(forwardsFor([FIP, '127.42.0.6'], rules, true, 10000), [
      { protocol: 'tcp', hostAddress: FIP, hostPort: 10022, guestPort: 22 },
      { protocol: 'tcp', hostAddress: FIP, hostPort: 8080, guestPort: 8080 },
      { protocol: 'tcp', hostAddress: '127.42.0.6', hostPort: 10022, guestPort: 22 },
      { protocol: 'tcp', hostAddress: '127.42.0.6', hostPort: 8080, guestPort: 8080 },
    ])
    assert.deepEqual(forwardsFor([], rules, true, 0), [])
  })
})
