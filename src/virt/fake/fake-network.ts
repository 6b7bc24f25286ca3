import type { InstanceSpec, NicSpec, PortForward } from '../virt-driver.js'

/** The forwards of each NIC, by port id. */
export function forwardsOf(nics: NicSpec[]): Record<string, PortForward[]> {
  return Object.fromEntries(nics.map((nic) => [nic.portId, structuredClone(nic.forwards)]))
}

/**
 * The forwards a running guest has after applying `spec`: the spec's for the
 * NICs it has plugged (a NIC it lacks needs a boot), its boot's for a plugged
 * NIC the spec no longer names.
 */
export function appliedForwards(plugged: NicSpec[], spec: InstanceSpec): Record<string, PortForward[]> {
  const names = new Set(plugged.map((nic) => nic.portId))
  return { ...forwardsOf(plugged), ...forwardsOf(spec.nics.filter((nic) => names.has(nic.portId))) }
}
