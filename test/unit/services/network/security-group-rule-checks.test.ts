import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkRule, ruleKey, type RuleInput } from '../../../../src/services/network/security-group-rule-checks.js'

const ok = (input: Partial<RuleInput>) => checkRule({ direction: 'ingress', ...input })
const fails = (input: Partial<RuleInput>, message: string | RegExp) => assert.throws(() => ok(input), { status: 400, message })

describe("Neutron's security group rule checks", () => {
  test('protocols: names lowercased, numbers kept as text, any → none, IPv6 ICMP made canonical', () => {
    assert.equal(ok({ protocol: 'TCP' }).protocol, 'tcp')
    assert.equal(ok({ protocol: 6 }).protocol, '6')
    assert.equal(ok({ protocol: 'any' }).protocol, null)
    assert.equal(ok({ protocol: 'icmp', ethertype: 'ipv6' }).protocol, 'ipv6-icmp')
    assert.equal(ok({ protocol: '1', ethertype: 'IPv6' }).protocol, '58')
    fails({ protocol: 'bogus' }, /^Security group rule protocol bogus not supported\./)
    fails({ protocol: 256 }, /^Security group rule protocol 256 not supported\. Only protocol values \(None, 'any', 'ah', .*'vrrp'\) and integer representations \[0 to 255\] are supported\.$/)
  })

  test('port ranges as Neutron checks them', () => {
    assert.deepEqual([ok({ protocol: 'tcp', port_range_min: 1, port_range_max: 65535 }).portRangeMin, ok({ protocol: 'tcp', port_range_min: '22', port_range_max: 22 }).portRangeMax], [null, 22])
    fails({ port_range_min: 22, port_range_max: 22 }, 'Must also specify protocol if port range is given.')
    fails({ protocol: 'tcp', port_range_min: 0, port_range_max: 22 }, 'Invalid value for port 0')
    fails({ protocol: 'tcp', port_range_min: 80, port_range_max: 22 }, 'For TCP/UDP protocols, port_range_min must be <= port_range_max')
    fails({ protocol: 'udp', port_range_min: 80 }, 'For TCP/UDP protocols, port_range_min must be <= port_range_max')
    fails({ protocol: 'tcp', port_range_min: 70000, port_range_max: 22 }, 'Invalid value for port 70000')
    fails({ protocol: 'tcp', port_range_min: 'x', port_range_max: 22 }, 'Invalid value for port x')
    fails({ protocol: 'icmp', port_range_min: 256 }, 'Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.')
    fails({ protocol: 'icmp', port_range_max: 3 }, 'ICMP code (port-range-max) 3 is provided but ICMP type (port-range-min) is missing.')
    fails({ protocol: 'gre', port_range_min: 1, port_range_max: 2 }, 'Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.')
    assert.deepEqual([ok({ protocol: 'icmp', port_range_min: 8, port_range_max: 0 }).portRangeMin], [8])
  })

  test('remote prefix, ethertype and one remote only', () => {
    assert.equal(ok({ remote_ip_prefix: '10.0.0.1' }).remoteIpPrefix, '10.0.0.1/32')
    fails({ remote_ip_prefix: '10.0.0.0/8', ethertype: 'IPv6' }, 'Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8')
    fails({ remote_ip_prefix: 'nonsense' }, 'Invalid CIDR nonsense given as IP prefix.')
    fails({ ethertype: 'IPv5' }, "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6'].")
    fails({ protocol: 'ipv6-icmp' }, 'Invalid ethertype IPv4 for protocol ipv6-icmp.')
    fails({ remote_ip_prefix: '10.0.0.0/8', remote_group_id: 'g' }, 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.')
    fails({ direction: 'sideways' }, "Invalid input for direction. Reason: 'sideways' is not in ['ingress', 'egress'].")
  })

  test('duplicates: protocol spellings and any-address prefixes are the same rule', () => {
    assert.equal(ruleKey(ok({ protocol: 'tcp', port_range_min: 22, port_range_max: 22 })), ruleKey(ok({ protocol: '6', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' })))
    assert.notEqual(ruleKey(ok({ protocol: 'tcp' })), ruleKey(ok({ protocol: 'tcp', direction: 'egress' })))
  })
})
