import { groupHostWeight, type GroupPlacement } from './group-placement.js'

/** A host as the weighers see it: free resources from placement's provider summary (capacity − used). */
export interface WeighedHost {
  host: string
  /** Free amount by resource class: (total − reserved) × allocation_ratio − used. */
  free: Record<string, number>
}

/** nova/weights.py `normalize`: each value scaled to [0, 1] between the list's min and max; all equal → all 0. */
export function normalize(values: number[]): number[] {
  if (values.length === 0) return []
  const min = Math.min(...values)
  const max = Math.max(...values)
  if (min === max) return values.map(() => 0)
  return values.map((v) => (v - min) / (max - min))
}

/** One weigher: a raw weight per host and its multiplier (Nova's `*_weight_multiplier`). */
interface Weigher {
  multiplier: number
  weigh(host: WeighedHost): number
}

/**
 * Nova's default weighers as Lifeboat has them, each with its default
 * multiplier 1.0: RAMWeigher (free_ram_mb), DiskWeigher (free_disk_mb),
 * CPUWeigher (free vcpus) — positive multipliers spread servers — then the
 * server group soft-affinity and soft-anti-affinity weighers.
 */
export function defaultWeighers(group: GroupPlacement | null): Weigher[] {
  return [
    { multiplier: 1.0, weigh: (h) => h.free.MEMORY_MB ?? 0 },
    { multiplier: 1.0, weigh: (h) => (h.free.DISK_GB ?? 0) * 1024 },
    { multiplier: 1.0, weigh: (h) => h.free.VCPU ?? 0 },
    { multiplier: 1.0, weigh: (h) => (group?.policy === 'soft-affinity' ? groupHostWeight(group, h.host) : 0) },
    { multiplier: 1.0, weigh: (h) => (group?.policy === 'soft-anti-affinity' ? groupHostWeight(group, h.host) : 0) },
  ]
}

/**
 * nova/weights.py `BaseWeightHandler.get_weighed_objects`: every weigher's
 * weights normalized over the hosts, multiplied and summed; heaviest first,
 * ties keeping the hosts' order (Python's sort is stable too). With Nova's
 * `host_subset_size` 1 the scheduler takes the first that claims.
 */
export function weighHosts<T extends WeighedHost>(hosts: T[], weighers: Weigher[]): T[] {
  const totals = hosts.map(() => 0)
  for (const weigher of weighers) {
    normalize(hosts.map((h) => weigher.weigh(h))).forEach((w, i) => { totals[i]! += weigher.multiplier * w })
  }
  return hosts.map((host, index) => ({ host, index, weight: totals[index]! }))
    .sort((a, b) => b.weight - a.weight || a.index - b.index).map((x) => x.host)
}
