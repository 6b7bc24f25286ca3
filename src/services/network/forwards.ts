import type { PortForward } from '../../agent-api/values.js'
import { normalizeCidr } from './security-group-rule-checks.js'

/**
 * Which inbound TCP forwards a port's floating IPs get in user-mode
 * networking (docs/floating-ip-forwards.md), pure. A floating IP there is an
 * address on the host where QEMU listens and forwards to the guest, so the
 * security groups decide which ports are listened on:
 *
 * - an IPv4 ingress rule for TCP (`tcp` or `6`) with a port range forwards
 *   each port of the range, at most {@link MAX_PORTS_PER_RULE} of them from
 *   its start (a listener per port; a wider range is cut, and the docs say so);
 * - an IPv4 ingress rule for every TCP port (protocol tcp without a range, or
 *   any protocol) forwards port 22 only (SSH: the reason floating IPs exist here);
 * - a rule with a remote group never counts (the host is no member of a group),
 *   nor one whose remote prefix does not contain the floating IP's address (the
 *   host reaches the floating IP from that very address);
 * - a port without port security (`port_security_enabled` false) is open: 22.
 *
 * Host ports follow {@link hostPortFor}, the one place that maps them.
 */

/** The most ports one rule's range forwards (one host listener each). */
export const MAX_PORTS_PER_RULE = 64
/** The most forwards of one floating IP. */
export const MAX_PORTS_PER_ADDRESS = 256
/** The port a rule allowing all TCP forwards. */
export const ALL_TCP_PORT = 22
/** Ports below this need privileges to bind (`net.ipv4.ip_unprivileged_port_start` defaults to it). */
export const FIRST_UNPRIVILEGED_PORT = 1024

/** The parts of a security group rule the forwards depend on. */
export interface ForwardRule {
  direction: string
  ethertype: string
  protocol: string | null
  portRangeMin: number | null
  portRangeMax: number | null
  remoteIpPrefix: string | null
  remoteGroupId: string | null
}

/**
 * The host port a guest port is forwarded from: ports below 1024 are moved up
 * by `offset` (LIFEBOAT_FIP_PORT_OFFSET, 22 → 10022 by default), others keep
 * their number; with offset 0 every port keeps it.
 */
export function hostPortFor(guestPort: number, offset: number): number {
  return guestPort < FIRST_UNPRIVILEGED_PORT ? guestPort + offset : guestPort
}

function prefixContains(prefix: string, address: string): boolean {
  const parsed = normalizeCidr(prefix)
  if (!parsed || parsed.version !== 4) return false
  const [net, bits] = parsed.cidr.split('/') as [string, string]
  const toInt = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0)
  const size = 2 ** (32 - Number(bits))
  return Math.floor(toInt(net) / size) === Math.floor(toInt(address) / size)
}

/** The guest TCP ports the rules let in from `address` (sorted, each once). */
export function allowedTcpPorts(rules: ForwardRule[], portSecurityEnabled: boolean, address: string): number[] {
  if (!portSecurityEnabled) return [ALL_TCP_PORT]
  const ports = new Set<number>()
  for (const rule of rules) {
    if (rule.direction !== 'ingress' || rule.ethertype !== 'IPv4' || rule.remoteGroupId) continue
    if (rule.remoteIpPrefix && !prefixContains(rule.remoteIpPrefix, address)) continue
    if (rule.protocol !== null && rule.protocol !== 'tcp' && rule.protocol !== '6') continue
    if (rule.protocol === null || rule.portRangeMin === null) {
      ports.add(ALL_TCP_PORT)
      continue
    }
    const last = Math.min(rule.portRangeMax ?? rule.portRangeMin, rule.portRangeMin + MAX_PORTS_PER_RULE - 1)
    for (let port = rule.portRangeMin; port <= last; port++) ports.add(port)
  }
  return [...ports].sort((a, b) => a - b).slice(0, MAX_PORTS_PER_ADDRESS)
}

/** The forwards of one port: for each of its floating IPs, every allowed TCP port. */
export function forwardsFor(floatingIps: string[], rules: ForwardRule[], portSecurityEnabled: boolean, offset: number): PortForward[] {
  return floatingIps.flatMap((hostAddress) => allowedTcpPorts(rules, portSecurityEnabled, hostAddress)
    .map((guestPort) => ({ protocol: 'tcp' as const, hostAddress, hostPort: hostPortFor(guestPort, offset), guestPort })))
}
