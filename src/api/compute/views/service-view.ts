import { isAtLeast, type Microversion } from '../../common/microversion.js'
import type { ComputeHost } from '../../../services/compute/compute-hosts.js'
import { novaTime } from '../../../services/time.js'

/** The time Nova shows for a service: its last heartbeat, else its last change. */
export function serviceUpdatedAt(host: ComputeHost): string | null {
  return novaTime(host.row.last_seen_at ?? host.row.updated_at)
}

/** One service of `GET /os-services`: integer id before 2.53, uuid after; `forced_down` from 2.11. */
export function serviceView(host: ComputeHost, mv: Microversion) {
  return {
    id: isAtLeast(mv, '2.53') ? host.row.id : host.legacyId,
    binary: host.row.binary,
    disabled_reason: host.row.disabled_reason,
    host: host.row.host,
    state: host.up ? 'up' : 'down',
    status: host.row.disabled ? 'disabled' : 'enabled',
    updated_at: serviceUpdatedAt(host),
    zone: host.row.zone,
    ...(isAtLeast(mv, '2.11') ? { forced_down: Boolean(host.row.forced_down) } : {}),
  }
}
