// Pure IPv4 arithmetic for the network service's IPAM (addresses as unsigned
// 32-bit numbers). IPv6 is not served, so there is no IPv6 here.

/** A parsed IPv4 CIDR: the network address, the prefix length, and the first and last address of the range. */
export interface Ipv4Cidr {
  /** The network address as a number. */
  network: number
  prefix: number
  first: number
  last: number
  /** The canonical text, e.g. `10.0.0.0/24`. */
  text: string
}

const OCTET = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/

/** An IPv4 address in dotted-quad form as a number, or null if it is not one (no leading zeros, as netaddr in strict mode). */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return null
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0)
}

/** A number as a dotted-quad IPv4 address. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.')
}

/** `a.b.c.d/n` as a CIDR, or null. `strict`: the address must be the network address (no host bits). */
export function parseIpv4Cidr(text: string, strict = false): Ipv4Cidr | null {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text)
  if (!match) return null
  const address = parseIpv4(match[1]!)
  const prefix = Number(match[2])
  if (address === null || prefix > 32) return null
  const size = 2 ** (32 - prefix)
  const network = address - (address % size)
  if (strict && network !== address) return null
  return { network, prefix, first: network, last: network + size - 1, text: `${formatIpv4(network)}/${prefix}` }
}

/** True when the address lies in the CIDR's range. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.first && address <= cidr.last
}

/** True when two CIDRs share an address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.first <= b.last && b.first <= a.last
}

/** The dotted netmask of a prefix length, e.g. 24 → `255.255.255.0`. */
export function netmaskOf(prefix: number): string {
  return formatIpv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0)
}
