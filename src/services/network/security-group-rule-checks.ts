import { isIP } from 'node:net'
import { badRequest, badRequestOf } from './network-errors.js'

/**
 * Neutron's security group rule rules, pure (neutron/extensions/securitygroup.py
 * converters and neutron/db/securitygroups_db.py `_validate_*`), with its
 * messages word for word.
 */

/** neutron_lib IP_PROTOCOL_MAP, in its order (the order shows in a message). */
export const IP_PROTOCOL_MAP: ReadonlyArray<readonly [string, number]> = [
  ['ah', 51], ['dccp', 33], ['egp', 8], ['esp', 50], ['gre', 47], ['hopopt', 0], ['icmp', 1], ['igmp', 2], ['ip', 0], ['ipip', 4],
  ['ipv6-encap', 41], ['ipv6-frag', 44], ['ipv6-icmp', 58], ['icmpv6', 58], ['ipv6-nonxt', 59], ['ipv6-opts', 60], ['ipv6-route', 43],
  ['ospf', 89], ['pgm', 113], ['rsvp', 46], ['sctp', 132], ['tcp', 6], ['udp', 17], ['udplite', 136], ['vrrp', 112],
]
const PROTOCOL_NUMBER = new Map(IP_PROTOCOL_MAP)
/** Number → name, the legacy `icmpv6` left out (IP_PROTOCOL_NUM_TO_NAME_MAP; the last name of a number wins, as a dict). */
const PROTOCOL_NAME = new Map(IP_PROTOCOL_MAP.filter(([name]) => name !== 'icmpv6').map(([name, num]) => [String(num), name]))
const PORT_PROTOCOLS = ['dccp', 'sctp', 'tcp', 'udp', 'udplite']
const PORT_PROTOCOL_NUMBERS = [33, 132, 6, 17, 136]
const IPV6_ONLY_PROTOCOLS = ['ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', '41', '44', '58', '59', '60', '43']
/** Python's repr of sg_supported_protocols: `(None, 'any', 'ah', …)`. */
const SUPPORTED_PROTOCOLS_TEXT = `(None, 'any', ${IP_PROTOCOL_MAP.map(([name]) => `'${name}'`).join(', ')})`


/** What a client asked for, as the API parsed it (values not yet checked). */
export interface RuleInput {
  direction: string
  protocol?: unknown
  port_range_min?: unknown
  port_range_max?: unknown
  ethertype?: unknown
  remote_ip_prefix?: unknown
  remote_group_id?: string | null
}

/** A rule as Neutron stores it. */
export interface CheckedRule {
  direction: 'ingress' | 'egress'
  ethertype: 'IPv4' | 'IPv6'
  protocol: string | null
  portRangeMin: number | null
  portRangeMax: number | null
  remoteIpPrefix: string | null
  remoteGroupId: string | null
}

/** convert_protocol: null/'any' → null; a name (lowercased) or 0–255 as text; else 400. */
export function convertProtocol(value: unknown): string | null {
  if (value === null || value === undefined || value === 'any') return null
  const fail = () => badRequestOf('SecurityGroupRuleInvalidProtocol', `Security group rule protocol ${String(value)} not supported. Only protocol values ${SUPPORTED_PROTOCOLS_TEXT} and integer representations [0 to 255] are supported.`)
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 255) return String(value)
    throw fail()
  }
  if (typeof value !== 'string') throw fail()
  if (/^\s*[-+]?\d+\s*$/.test(value)) {
    const n = Number(value)
    if (n >= 0 && n <= 255) return value
    throw fail()
  }
  if (PROTOCOL_NUMBER.has(value.toLowerCase())) return value.toLowerCase()
  throw fail()
}

/** convert_validate_port_value: null, or an integer 0–65535 (as a number or its text); else 400. */
export function convertPort(value: unknown): number | null {
  if (value === null || value === undefined) return null
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : null
  if (text !== null && /^\d+$/.test(text) && Number(text) <= 65535) return Number(text)
  throw badRequestOf('SecurityGroupInvalidPortValue', `Invalid value for port ${typeof value === 'string' ? value : JSON.stringify(value)}`)
}

/** convert_ethertype_to_case_insensitive: IPv4/IPv6 in any case; else 400. */
export function convertEthertype(value: unknown): 'IPv4' | 'IPv6' {
  if (value === undefined) return 'IPv4'
  if (typeof value === 'string') {
    if (value.toLowerCase() === 'ipv4') return 'IPv4'
    if (value.toLowerCase() === 'ipv6') return 'IPv6'
  }
  throw badRequestOf('SecurityGroupRuleInvalidEtherType', `Security group rule for ethertype '${String(value)}' not supported. Allowed values are ['IPv4', 'IPv6'].`)
}

/** netaddr.IPNetwork(text) as text (an address alone gets its full prefix); null when it is no network. */
export function normalizeCidr(text: string): { cidr: string; version: 4 | 6 } | null {
  const [address, prefix, ...rest] = text.split('/')
  if (rest.length || !address) return null
  const version = isIP(address)
  if (version !== 4 && version !== 6) return null
  const max = version === 4 ? 32 : 128
  if (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > max)) return null
  return { cidr: `${address}/${prefix === undefined ? max : Number(prefix)}`, version }
}

/** convert_ip_prefix_to_cidr: empty → null; else a CIDR or 400 InvalidCIDR. */
export function convertIpPrefix(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null
  const parsed = typeof value === 'string' ? normalizeCidr(value) : null
  if (!parsed) throw badRequestOf('InvalidCIDR', `Invalid CIDR ${String(value)} given as IP prefix.`)
  return parsed.cidr
}

function protocolNumber(protocol: string): number {
  if (protocol === 'icmpv6') return 58
  return PROTOCOL_NUMBER.get(protocol) ?? Number(protocol)
}

/**
 * The converters and `_validate_base_security_group_rule_attributes` in
 * Neutron's order: IPv6 legacy ICMP names made canonical, the whole port range
 * made "no range", the range checked for the protocol, the prefix checked
 * against the ethertype, IPv6-only protocols refused for IPv4, one remote only.
 */
export function checkRule(input: RuleInput): CheckedRule {
  if (input.direction !== 'ingress' && input.direction !== 'egress') throw badRequest(`Invalid input for direction. Reason: '${input.direction}' is not in ['ingress', 'egress'].`)
  let protocol = convertProtocol(input.protocol)
  let min = convertPort(input.port_range_min)
  let max = convertPort(input.port_range_max)
  const ethertype = convertEthertype(input.ethertype)
  const remoteIpPrefix = convertIpPrefix(input.remote_ip_prefix)
  const remoteGroupId = input.remote_group_id ?? null
  if (ethertype === 'IPv6') {
    if (protocol === 'icmp' || protocol === 'icmpv6') protocol = 'ipv6-icmp'
    else if (protocol === '1') protocol = '58'
  }
  if (min === 1 && max === 65535) [min, max] = [null, null]
  if (min !== null || max !== null) {
    if (!protocol) throw badRequestOf('SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.')
    const number = protocolNumber(protocol)
    if (PORT_PROTOCOL_NUMBERS.includes(number) || PORT_PROTOCOLS.includes(protocol)) {
      if (min === 0 || max === 0) throw badRequestOf('SecurityGroupInvalidPortValue', 'Invalid value for port 0')
      if (min === null || max === null || min > max) throw badRequestOf('SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max')
    } else if (number === 1 || number === 58) {
      for (const [value, field, attr] of [[min, 'type', 'port_range_min'], [max, 'code', 'port_range_max']] as const) {
        if (value !== null && !(value >= 0 && value <= 255)) throw badRequestOf('SecurityGroupInvalidIcmpValue', `Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`)
      }
      if (min === null && max !== null) throw badRequestOf('SecurityGroupMissingIcmpType', `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`)
    } else {
      throw badRequestOf('SecurityGroupInvalidProtocolForPort', `Ports cannot be specified for protocol ${number}. Ports are only supported for ${PORT_PROTOCOLS.map((p) => p.toUpperCase()).join(', ')}.`)
    }
  }
  if (remoteIpPrefix) {
    const version = remoteIpPrefix.includes(':') ? 6 : 4
    if (ethertype !== `IPv${version}`) throw badRequestOf('SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${ethertype} for CIDR ${String(input.remote_ip_prefix)}`)
  }
  if (protocol && IPV6_ONLY_PROTOCOLS.includes(protocol) && ethertype === 'IPv4') {
    throw badRequestOf('SecurityGroupEthertypeConflictWithProtocol', `Invalid ethertype ${ethertype} for protocol ${protocol}.`)
  }
  if (remoteIpPrefix && remoteGroupId) throw badRequestOf('SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.')
  return { direction: input.direction, ethertype, protocol, portRangeMin: min, portRangeMax: max, remoteIpPrefix, remoteGroupId }
}

/** `_get_ip_proto_name_and_num`: the [name, number] pair two spellings of one protocol share. */
function protocolKey(protocol: string | null, ethertype: string): string {
  if (protocol === null) return '+'
  let p = protocol
  if (ethertype === 'IPv6') {
    if (p === 'icmp' || p === 'icmpv6') p = 'ipv6-icmp'
    else if (p === '1') p = '58'
  }
  if (PROTOCOL_NUMBER.has(p)) return `${p}/${PROTOCOL_NUMBER.get(p)}`
  if (PROTOCOL_NAME.has(p)) return `${PROTOCOL_NAME.get(p)}/${p}`
  return `${p}/${p}`
}

/** `_rule_to_key`: what makes two rules the same (any-address prefixes count as none). */
export function ruleKey(rule: CheckedRule): string {
  const prefix = rule.remoteIpPrefix === null || rule.remoteIpPrefix === '0.0.0.0/0' || rule.remoteIpPrefix === '::/0' ? '+' : rule.remoteIpPrefix
  return [rule.direction, rule.ethertype, rule.portRangeMax ?? '+', rule.portRangeMin ?? '+', protocolKey(rule.protocol, rule.ethertype),
    rule.remoteGroupId ?? '+', prefix].join('_')
}
