import { isIPv4, isIPv6 } from 'node:net'
import { InvalidRequest } from '../errors.js'

/** A rule as `os-security-group-rules` creates it, before it has an id. */
export interface NewRule {
  ipProtocol: string | null
  fromPort: number | null
  toPort: number | null
  cidr: string | null
  sourceGroupId: string | null
}

/** What the client sent (Nova never schema-checked these fields). */
export interface RuleRequest {
  ip_protocol?: unknown
  from_port?: unknown
  to_port?: unknown
  cidr?: unknown
  group_id?: string | null
}

function isCidr(text: string): boolean {
  const [address, prefix, ...rest] = text.split('/')
  if (rest.length || !address) return false
  const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : -1
  if (max < 0) return false
  if (prefix === undefined) return true
  return /^\d+$/.test(prefix) && Number(prefix) <= max
}

/** Nova's parse_cidr: empty means 0.0.0.0/0; 400 for anything that is not a network. */
function parseCidr(raw: unknown): string {
  if (raw === undefined || raw === null || raw === '') return '0.0.0.0/0'
  let cidr = String(raw)
  try {
    cidr = decodeURIComponent(cidr)
  } catch {
    throw new InvalidRequest(`${cidr} is not a valid IP network.`)
  }
  if (!isCidr(cidr)) throw new InvalidRequest(`${cidr} is not a valid IP network.`)
  const [net, prefix] = cidr.split('/')
  if (net !== '0.0.0.0' && net !== '::' && prefix === '0') throw new InvalidRequest(`Bad prefix for network in cidr ${cidr}`)
  return cidr
}

/**
 * Nova's _new_ingress_rule (network/security_group_api.py): a source group
 * opens every port when none is given; TCP/UDP ports are 1–65535 and ordered;
 * ICMP type and code are -1–255. Throws 400 with Nova's messages.
 */
export function buildIngressRule(request: RuleRequest): NewRule {
  let protocol = request.ip_protocol === undefined || request.ip_protocol === null || request.ip_protocol === '' ? null : String(request.ip_protocol)
  let fromPort = request.from_port === undefined || request.from_port === null || request.from_port === '' ? null : request.from_port
  let toPort = request.to_port === undefined || request.to_port === null || request.to_port === '' ? null : request.to_port
  const sourceGroupId = request.group_id ?? null
  const cidr = sourceGroupId ? null : parseCidr(request.cidr)
  const upper = protocol?.toUpperCase() ?? ''
  if (sourceGroupId && fromPort === null && toPort === null) {
    if (upper === 'ICMP') [fromPort, toPort] = [-1, -1]
    else if (upper === 'TCP' || upper === 'UDP') [fromPort, toPort] = [1, 65535]
  }
  if (protocol !== null && fromPort !== null && toPort !== null) {
    const from = Number(fromPort)
    const to = Number(toPort)
    if (!Number.isInteger(from) || !Number.isInteger(to) || String(fromPort).trim() === '' || String(toPort).trim() === '') {
      throw new InvalidRequest(upper === 'ICMP'
        ? 'Invalid input received: Type and Code must be integers for ICMP protocol type'
        : 'Invalid input received: To and From ports must be integers')
    }
    if (!['TCP', 'UDP', 'ICMP'].includes(upper)) throw new InvalidRequest(`Invalid IP protocol ${protocol}.`)
    if (upper !== 'ICMP' && from > to) throw new InvalidRequest(`Invalid port range ${from}:${to}. Former value cannot be greater than the later`)
    if (upper !== 'ICMP' && (from < 1 || to > 65535)) throw new InvalidRequest(`Invalid port range ${from}:${to}. Valid ${upper} ports should be between 1-65535`)
    if (upper === 'ICMP' && (from < -1 || from > 255 || to < -1 || to > 255)) throw new InvalidRequest(`Invalid port range ${from}:${to}. For ICMP, the type:code must be valid`)
    protocol = protocol.toLowerCase()
    return { ipProtocol: protocol, fromPort: from, toPort: to, cidr, sourceGroupId }
  }
  // A CIDR rule needs a protocol and both ports.
  if (!sourceGroupId) throw new InvalidRequest('Not enough parameters to build a valid rule.')
  return { ipProtocol: null, fromPort: null, toPort: null, cidr: null, sourceGroupId }
}
