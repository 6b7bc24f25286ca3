import type { Db } from '../../db/schema.js'
import { cidrContains, cidrsOverlap, formatIpv4, parseIpv4, parseIpv4Cidr, type Ipv4Cidr } from '../../util/ipv4.js'
import { badRequest, badRequestOf, conflict, inUse, invalidInput } from './network-errors.js'

/** An allocation pool as Neutron shows it. */
export interface AllocationPool {
  start: string
  end: string
}

/** What a subnet request asks for, before the defaults. */
export interface SubnetAddressing {
  cidr: string
  /** undefined: default (first host); null: no gateway. */
  gatewayIp?: string | null
  allocationPools?: AllocationPool[]
}

/** A subnet's addressing once checked and defaulted. */
export interface PlannedAddressing {
  cidr: Ipv4Cidr
  gatewayIp: string | null
  pools: AllocationPool[]
}

function poolText(pool: AllocationPool): string {
  return `${pool.start}-${pool.end}`
}

/** The default pools: the CIDR's hosts (network and broadcast excluded, /31 and /32 whole) minus the gateway. */
function defaultPools(cidr: Ipv4Cidr, gateway: number | null): AllocationPool[] {
  const first = cidr.prefix >= 31 ? cidr.first : cidr.first + 1
  const last = cidr.prefix >= 31 ? cidr.last : cidr.last - 1
  const ranges: Array<[number, number]> = []
  if (gateway !== null && gateway >= first && gateway <= last) {
    if (gateway > first) ranges.push([first, gateway - 1])
    if (gateway < last) ranges.push([gateway + 1, last])
  } else if (first <= last) {
    ranges.push([first, last])
  }
  return ranges.map(([s, e]) => ({ start: formatIpv4(s), end: formatIpv4(e) }))
}

/**
 * Checks and defaults a subnet's CIDR, gateway and pools as Neutron does
 * (neutron/db/ipam_backend_mixin.py `validate_allocation_pools`,
 * db_base_plugin_v2.py `_validate_subnet`), with Neutron's texts.
 */
export function planAddressing(input: SubnetAddressing): PlannedAddressing {
  const cidr = parseIpv4Cidr(input.cidr)
  if (!cidr) throw badRequest(`Invalid input for cidr. Reason: '${input.cidr}' is not a valid IP subnet.`)
  // Host bits in the CIDR are dropped (Neutron stores the network address too).
  let gateway: number | null
  if (input.gatewayIp === null) gateway = null
  else if (input.gatewayIp === undefined) gateway = cidr.prefix >= 31 ? null : cidr.first + 1
  else {
    gateway = parseIpv4(input.gatewayIp)
    if (gateway === null) throw badRequest(`Invalid input for gateway_ip. Reason: '${input.gatewayIp}' is not a valid IP address.`)
    if (cidr.prefix < 31 && (gateway === cidr.first || gateway === cidr.last)) throw invalidInput('Gateway is not valid on subnet')
  }
  let pools: AllocationPool[]
  if (input.allocationPools === undefined || input.allocationPools.length === 0) {
    pools = defaultPools(cidr, gateway)
  } else {
    const ranges: Array<[number, number, AllocationPool]> = []
    for (const pool of input.allocationPools) {
      const start = parseIpv4(pool.start)
      const end = parseIpv4(pool.end)
      if (start === null || end === null || start > end) throw badRequestOf('InvalidAllocationPool', `The allocation pool ${poolText(pool)} is not valid.`)
      if (!cidrContains(cidr, start) || !cidrContains(cidr, end) || (cidr.prefix < 31 && (start === cidr.first || end === cidr.last))) {
        throw badRequestOf('OutOfBoundsAllocationPool', `The allocation pool ${poolText(pool)} spans beyond the subnet cidr ${cidr.text}.`)
      }
      ranges.push([start, end, pool])
    }
    ranges.sort((a, b) => a[0] - b[0])
    for (let i = 1; i < ranges.length; i++) {
      if (ranges[i]![0] <= ranges[i - 1]![1]) {
        throw badRequestOf('OverlappingAllocationPools', `Found overlapping allocation pools: ${poolText(ranges[i - 1]![2])} ${poolText(ranges[i]![2])} for subnet ${cidr.text}.`)
      }
    }
    if (gateway !== null) {
      const hit = ranges.find(([s, e]) => gateway! >= s && gateway! <= e)
      if (hit) throw inUse('GatewayConflictWithAllocationPools', `Gateway ip ${formatIpv4(gateway)} conflicts with allocation pool ${poolText(hit[2])}`)
    }
    pools = ranges.map(([s, e]) => ({ start: formatIpv4(s), end: formatIpv4(e) }))
  }
  return { cidr, gatewayIp: gateway === null ? null : formatIpv4(gateway), pools }
}

/**
 * Neutron's `_validate_subnet_cidr` with its default `allow_overlapping_ips = True`: 400 when
 * the CIDR overlaps another subnet of the same network (other networks, any project's, may
 * share it: each port is its own NAT in the data plane), and for a /0.
 */
export async function assertNoOverlap(db: Db, networkId: string, cidr: Ipv4Cidr): Promise<void> {
  if (cidr.prefix === 0) throw invalidInput('0 is not allowed as CIDR prefix length')
  const subnets = await db.selectFrom('subnets').select(['cidr']).where('network_id', '=', networkId).where('ip_version', '=', 4).execute()
  for (const subnet of subnets) {
    const other = parseIpv4Cidr(subnet.cidr)
    if (other && cidrsOverlap(other, cidr)) {
      throw invalidInput(`Requested subnet with cidr: ${cidr.text} for network: ${networkId} overlaps with another subnet`)
    }
  }
}

/** The subnet facts IP allocation needs. */
export interface AllocatableSubnet {
  id: string
  network_id: string
  cidr: string
  gateway_ip: string | null
  allocation_pools: string
}

/**
 * Picks an address on the subnet: the requested one (it must be in the CIDR,
 * not the gateway nor network/broadcast, and free) or the lowest free address
 * of the pools. Neutron's errors: InvalidIpForSubnet (400),
 * IpAddressAlreadyAllocated (409), IpAddressGenerationFailure (409).
 */
export async function pickAddress(db: Db, subnet: AllocatableSubnet, requested?: string): Promise<string> {
  const cidr = parseIpv4Cidr(subnet.cidr)!
  const used = new Set((await db.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', subnet.id).execute()).map((r) => r.ip_address))
  if (requested !== undefined) {
    const address = parseIpv4(requested)
    if (address === null) throw badRequest(`Invalid input for ip_address. Reason: '${requested}' is not a valid IP address.`)
    const edge = cidr.prefix < 31 && (address === cidr.first || address === cidr.last)
    if (!cidrContains(cidr, address) || edge) {
      throw badRequestOf('InvalidIpForSubnet', `IP address ${requested} is not a valid IP for the specified subnet.`)
    }
    const text = formatIpv4(address)
    if (used.has(text) || text === subnet.gateway_ip) throw inUse('IpAddressAlreadyAllocated', `IP address ${text} already allocated in subnet ${subnet.id}`)
    return text
  }
  for (const pool of JSON.parse(subnet.allocation_pools) as AllocationPool[]) {
    const start = parseIpv4(pool.start)!
    const end = parseIpv4(pool.end)!
    for (let address = start; address <= end; address++) {
      const text = formatIpv4(address)
      if (!used.has(text)) return text
    }
  }
  throw conflict('IpAddressGenerationFailure', `No more IP addresses available on network ${subnet.network_id}.`)
}
