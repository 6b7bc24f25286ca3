import assert from 'node:assert/strict'
import type { Session } from '../../helpers/cloud.js'

/** The network API's base path. */
export const NET = '/network/v2.0'

let counter = 0
/** A unique /24 in 10.200.x.0 (so that tests' subnets never meet on one router, where CIDRs may not overlap). */
export function freshCidr(): string {
  counter += 1
  return `10.${200 + Math.floor(counter / 250)}.${counter % 250}.0/24`
}

/** Creates a network (201) and returns its dict. */
export async function createNetwork(session: Session, attributes: Record<string, unknown> = {}): Promise<any> {
  const res = await session.request('POST', `${NET}/networks`, { body: { network: { name: `net-${++counter}`, ...attributes } } })
  assert.equal(res.status, 201, res.text)
  return res.body.network
}

/** Creates a subnet (201) on the network, in a fresh CIDR unless given. */
export async function createSubnet(session: Session, networkId: string, attributes: Record<string, unknown> = {}): Promise<any> {
  const res = await session.request('POST', `${NET}/subnets`, { body: { subnet: { network_id: networkId, ip_version: 4, cidr: freshCidr(), ...attributes } } })
  assert.equal(res.status, 201, res.text)
  return res.body.subnet
}

/** Creates a port (201) on the network. */
export async function createPort(session: Session, networkId: string, attributes: Record<string, unknown> = {}): Promise<any> {
  const res = await session.request('POST', `${NET}/ports`, { body: { port: { network_id: networkId, ...attributes } } })
  assert.equal(res.status, 201, res.text)
  return res.body.port
}

/** Asserts Neutron's error body. */
export function assertNeutronError(res: { status: number; body: any; text: string }, status: number, type: string, message?: string | RegExp): void {
  assert.equal(res.status, status, res.text)
  assert.equal(res.body.NeutronError.type, type, res.text)
  assert.equal(res.body.NeutronError.detail, '')
  if (typeof message === 'string') assert.equal(res.body.NeutronError.message, message)
  else if (message) assert.match(res.body.NeutronError.message, message)
}
