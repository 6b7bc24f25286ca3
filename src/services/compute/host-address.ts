import { isIP } from 'node:net'

/** `::ffff:10.0.0.2` (an IPv4 peer on a dual-stack socket) as `10.0.0.2`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address)
}

/**
 * The host address a registering agent gets (Nova's `my_ip`): the one it
 * names, else the address its register came from unless that is loopback
 * (an agent on the control plane's machine: null, os-hypervisors then shows
 * the control plane's own address). `undefined` when the named one is not
 * an IP address (or is the unspecified 0.0.0.0/::).
 */
export function registeredHostIp(named: string | undefined, peerAddress: string | undefined): string | null | undefined {
  if (named !== undefined) {
    const ip = unmapped(named)
    return isIP(ip) && ip !== '0.0.0.0' && ip !== '::' ? ip : undefined
  }
  if (!peerAddress) return null
  const peer = unmapped(peerAddress)
  return isIP(peer) && !isLoopback(peer) ? peer : null
}
