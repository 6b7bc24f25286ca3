import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { cidrsOverlap, formatIpv4, netmaskOf, parseIpv4, parseIpv4Cidr } from '../../../src/util/ipv4.js'

describe('IPv4 arithmetic', () => {
  test('parses dotted quads strictly and formats them back', () => {
    assert.equal(parseIpv4('10.0.0.1'), 167772161)
    assert.equal(formatIpv4(167772161), '10.0.0.1')
    assert.equal(formatIpv4(parseIpv4('255.255.255.255')!), '255.255.255.255')
    for (const bad of ['10.0.0', '10.0.0.256', '010.0.0.1', 'a.b.c.d', '10.0.0.1 ', '']) assert.equal(parseIpv4(bad), null, bad)
  })

  test('CIDRs: network address, range, host bits dropped (or refused when strict), overlap', () => {
    const cidr = parseIpv4Cidr('10.0.0.77/24')!
    assert.deepEqual([cidr.text, formatIpv4(cidr.first), formatIpv4(cidr.last)], ['10.0.0.0/24', '10.0.0.0', '10.0.0.255'])
    assert.equal(parseIpv4Cidr('10.0.0.77/24', true), null)
    assert.equal(parseIpv4Cidr('10.0.0.0/33'), null)
    assert.equal(parseIpv4Cidr('10.0.0.0'), null)
    assert.equal(cidrsOverlap(parseIpv4Cidr('10.0.0.0/24')!, parseIpv4Cidr('10.0.0.128/25')!), true)
    assert.equal(cidrsOverlap(parseIpv4Cidr('10.0.0.0/24')!, parseIpv4Cidr('10.0.1.0/24')!), false)
    assert.equal(netmaskOf(24), '255.255.255.0')
    assert.equal(netmaskOf(0), '0.0.0.0')
  })
})
