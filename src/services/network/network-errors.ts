import { LifeboatError } from '../errors.js'
import { errorCatalogue, type CodeOf, type ErrorCode } from '../../util/error-code.js'

/**
 * The network service's error codes (its own catalogue, as Placement's: the
 * Neutron exception type is part of its API and travels with the error).
 */
export const NetworkErrorCode = errorCatalogue({
  BAD_REQUEST: 'LB_NET_BAD_REQUEST',
  INVALID_INPUT: 'LB_NET_INVALID_INPUT',
  NOT_FOUND: 'LB_NET_NOT_FOUND',
  IN_USE: 'LB_NET_IN_USE',
  CONFLICT: 'LB_NET_CONFLICT',
  OVER_QUOTA: 'LB_NET_OVER_QUOTA',
  POLICY: 'LB_NET_POLICY',
})
export type NetworkErrorCode = CodeOf<typeof NetworkErrorCode>

/**
 * An error of the network service with Neutron's exception `type` (the class
 * name neutron-lib raises: `NetworkNotFound`, `IpAddressAlreadyAllocated`…),
 * which the API writes into `{"NeutronError": {"type", "message", "detail"}}`.
 * Messages are neutron-lib's texts, word for word.
 */
export class NeutronError extends LifeboatError {
  /** Neutron's exception class name. */
  readonly type: string
  constructor(type: string, message: string, status: number, code: ErrorCode) {
    super(message, code, status)
    this.type = type
  }
}

/** 400 `HTTPBadRequest` (the API layer's attribute checks: webob's error). */
export function badRequest(message: string): NeutronError {
  return new NeutronError('HTTPBadRequest', message, 400, NetworkErrorCode.BAD_REQUEST)
}

/** 400 `InvalidInput`: "Invalid input for operation: <detail>." */
export function invalidInput(detail: string): NeutronError {
  return new NeutronError('InvalidInput', `Invalid input for operation: ${detail}.`, 400, NetworkErrorCode.INVALID_INPUT)
}

/** 400 with a named Neutron type (InvalidAllocationPool, GatewayConflictWithAllocationPools…). */
export function badRequestOf(type: string, message: string): NeutronError {
  return new NeutronError(type, message, 400, NetworkErrorCode.INVALID_INPUT)
}

/** 404 `<Kind>NotFound`: "<Kind> <id> could not be found." */
export function notFound(kind: 'Network' | 'Subnet' | 'Port' | 'Router' | 'FloatingIP' | 'SecurityGroup', id: string): NeutronError {
  const message = kind === 'FloatingIP' ? `Floating IP ${id} could not be found` : kind === 'SecurityGroup' ? `Security group ${id} does not exist` : `${kind} ${id} could not be found.`
  return new NeutronError(`${kind}NotFound`, message, 404, NetworkErrorCode.NOT_FOUND)
}

/** 409 of a resource in use (NetworkInUse, SubnetInUse, PortInUse, IpAddressAlreadyAllocated, MacAddressInUse…). */
export function inUse(type: string, message: string): NeutronError {
  return new NeutronError(type, message, 409, NetworkErrorCode.IN_USE)
}

/** 409 with a named Neutron type (IpAddressGenerationFailure…). */
export function conflict(type: string, message: string): NeutronError {
  return new NeutronError(type, message, 409, NetworkErrorCode.CONFLICT)
}

/** 409 `OverQuota`: "Quota exceeded for resources: ['network']." */
export function overQuota(resources: string[]): NeutronError {
  return new NeutronError('OverQuota', `Quota exceeded for resources: [${resources.map((r) => `'${r}'`).join(', ')}].`, 409, NetworkErrorCode.OVER_QUOTA)
}

/** 403 `PolicyNotAuthorized`: "(rule:<action>) is disallowed by policy" (oslo.policy's text through Neutron). */
export function policyNotAuthorized(rule: string): NeutronError {
  return new NeutronError('PolicyNotAuthorized', `(rule:${rule}) is disallowed by policy`, 403, NetworkErrorCode.POLICY)
}
