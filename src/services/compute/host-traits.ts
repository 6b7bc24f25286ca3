/** Traits every Lifeboat compute host reports besides its driver's, sorted and unique. */
export function capabilityTraitsUnion(driverTraits: string[]): string[] {
  return [...new Set(['COMPUTE_NODE', ...driverTraits])].sort()
}
