import { isAtLeast, type Microversion } from '../../common/microversion.js'
import type { ComputeHost, HostedServer, HostUsage } from '../../../services/compute/compute-hosts.js'

const NO_USAGE: HostUsage = { vcpusUsed: 0, memoryMbUsed: 0, localGbUsed: 0, runningVms: 0, currentWorkload: 0 }

function cpuInfo(text: string, mv: Microversion): string | Record<string, unknown> {
  if (!isAtLeast(mv, '2.28')) return text
  try {
    const parsed: unknown = JSON.parse(text || '{}')
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/**
 * A hypervisor as Nova's HypervisorsController._view_hypervisor shows it: ids
 * are integers before 2.53 and uuids after; `cpu_info` is a string before
 * 2.28 and an object after; the detail adds resources and the service.
 */
export function hypervisorView(
  host: ComputeHost,
  mv: Microversion,
  options: { detail: boolean; usage?: HostUsage; hostIp: string; servers?: HostedServer[] },
) {
  const uuids = isAtLeast(mv, '2.53')
  const row = host.row
  const view: Record<string, unknown> = {
    id: uuids ? row.id : host.legacyId,
    hypervisor_hostname: row.host,
    state: host.up ? 'up' : 'down',
    status: row.disabled ? 'disabled' : 'enabled',
  }
  if (options.detail) {
    const u = options.usage ?? NO_USAGE
    Object.assign(view, {
      hypervisor_type: row.hypervisor_type,
      hypervisor_version: Number(row.hypervisor_version),
      host_ip: options.hostIp,
      service: { id: uuids ? row.id : host.legacyId, host: row.host, disabled_reason: row.disabled_reason },
      vcpus: Number(row.vcpus),
      memory_mb: Number(row.memory_mb),
      local_gb: Number(row.local_gb),
      vcpus_used: u.vcpusUsed,
      memory_mb_used: u.memoryMbUsed,
      local_gb_used: u.localGbUsed,
      free_ram_mb: Number(row.memory_mb) - u.memoryMbUsed,
      free_disk_gb: Number(row.local_gb) - u.localGbUsed,
      current_workload: u.currentWorkload,
      running_vms: u.runningVms,
      disk_available_least: Number(row.local_gb) - u.localGbUsed,
      cpu_info: cpuInfo(row.cpu_info, mv),
    })
  }
  if (options.servers !== undefined && (options.servers.length > 0 || isAtLeast(mv, '2.75'))) {
    view.servers = options.servers.map((s) => ({ name: s.name, uuid: s.uuid }))
  }
  return view
}

/** `GET /os-hypervisors/statistics`: the sums over every hypervisor. */
export function hypervisorStatisticsView(hosts: ComputeHost[], usages: Map<string, HostUsage>) {
  const stats = {
    count: hosts.length, vcpus: 0, memory_mb: 0, local_gb: 0, vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0,
    free_ram_mb: 0, free_disk_gb: 0, current_workload: 0, running_vms: 0, disk_available_least: 0,
  }
  for (const h of hosts) {
    const u = usages.get(h.row.host) ?? NO_USAGE
    stats.vcpus += Number(h.row.vcpus)
    stats.memory_mb += Number(h.row.memory_mb)
    stats.local_gb += Number(h.row.local_gb)
    stats.vcpus_used += u.vcpusUsed
    stats.memory_mb_used += u.memoryMbUsed
    stats.local_gb_used += u.localGbUsed
    stats.free_ram_mb += Number(h.row.memory_mb) - u.memoryMbUsed
    stats.free_disk_gb += Number(h.row.local_gb) - u.localGbUsed
    stats.disk_available_least += Number(h.row.local_gb) - u.localGbUsed
    stats.current_workload += u.currentWorkload
    stats.running_vms += u.runningVms
  }
  return { hypervisor_statistics: stats }
}
