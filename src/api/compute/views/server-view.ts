import { createHash } from 'node:crypto'
import type { InstanceDetails } from '../../../services/compute/instance-store.js'
import { statusFromState } from '../../../services/compute/instance-states.js'
import { isAtLeast, type Microversion } from '../../common/microversion.js'
import { novaTime } from '../../../services/time.js'

/** What a server view may show, decided by the route. */
export interface ServerViewOptions {
  /** Base URL of the compute API, e.g. `http://h/compute`. */
  base: string
  microversion: Microversion
  isAdmin: boolean
  /** The extended attributes of show/detail (false for update's reduced view before 2.75). */
  extended: boolean
  /** `server_groups` (2.71+, show/update/rebuild only, never list): the server's group ids, or false to leave it out. */
  serverGroups: false | string[]
  /** Hosts that are up, for `host_status` (2.16, admins). */
  hostStatus?: (host: string | null) => string
}

const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'])

/** Nova's `OS-SRV-USG:*` format: no zone designator, microseconds. */
function usageTime(iso: string | null): string | null {
  return iso === null ? null : iso.replace(/\.(\d{3})Z$/, '.$1000')
}

function links(base: string, kind: string, id: string) {
  return [
    { rel: 'self', href: `${base}/v2.1/${kind}/${id}` },
    { rel: 'bookmark', href: `${base}/${kind}/${id}` },
  ]
}

/**
 * Nova's `addresses` (views/addresses.py): by network name, each port's
 * fixed IPs then its floating IPs, with type and MAC when `extended`
 * (the server view); only version and address for `/ips`.
 */
export function addressesView(details: InstanceDetails, extended: boolean): Record<string, Array<Record<string, unknown>>> {
  const result: Record<string, Array<Record<string, unknown>>> = {}
  for (const [label, list] of Object.entries(details.addresses ?? {})) {
    result[label] = list.map((a) => (extended
      ? { version: a.version, addr: a.addr, 'OS-EXT-IPS:type': a.type, 'OS-EXT-IPS-MAC:mac_addr': a.mac }
      : { version: a.version, addr: a.addr }))
  }
  return result
}

/** `{id, name, links}` of `GET /servers`. */
export function serverSummaryView(details: InstanceDetails, base: string) {
  return { id: details.row.uuid, name: details.row.display_name, links: links(base, 'servers', details.row.uuid) }
}

/** `hostId`: an opaque per-project digest of the host, as Nova computes it. */
export function hostId(projectId: string, host: string | null): string {
  return host ? createHash('sha224').update(projectId + host).digest('hex') : ''
}

/** The full server view of show/detail (and update/rebuild) for the requested microversion. */
export function serverView(details: InstanceDetails, options: ServerViewOptions) {
  const { row, flavor } = details
  const v = options.microversion
  const status = row.deleted ? 'DELETED' : statusFromState(row.vm_state, row.task_state)
  const view: Record<string, unknown> = {
    id: row.uuid,
    name: row.display_name,
    status,
    tenant_id: row.project_id,
    user_id: row.user_id,
    metadata: details.metadata,
    hostId: hostId(row.project_id, row.host),
    image: row.image_ref ? { id: row.image_ref, links: [{ rel: 'bookmark', href: `${options.base}/images/${row.image_ref}` }] } : '',
    flavor: isAtLeast(v, '2.47')
      ? { vcpus: flavor.vcpus, ram: flavor.ram, disk: flavor.disk, ephemeral: flavor.ephemeral, swap: flavor.swap, original_name: flavor.name, extra_specs: flavor.extraSpecs }
      : { id: flavor.id, links: [{ rel: 'bookmark', href: `${options.base}/flavors/${flavor.id}` }] },
    created: novaTime(row.created_at),
    updated: novaTime(row.updated_at),
    // Nova shows no addresses while the server builds (views/servers.py `_get_addresses`); update's reduced view (before 2.75) has no type or MAC.
    addresses: row.vm_state === 'building' ? {} : addressesView(details, options.extended),
    accessIPv4: row.access_ip_v4 ?? '',
    accessIPv6: row.access_ip_v6 ?? '',
    links: links(options.base, 'servers', row.uuid),
    'OS-DCF:diskConfig': 'MANUAL',
  }
  if (PROGRESS_STATUSES.has(status)) view.progress = row.progress
  if ((status === 'ERROR' || status === 'DELETED') && details.fault) {
    const fault = details.fault
    view.fault = {
      code: fault.code, created: novaTime(fault.created_at), message: fault.message,
      ...(options.isAdmin || fault.code !== 500 ? { details: fault.details } : {}),
    }
  }
  if (options.extended) {
    Object.assign(view, {
      key_name: row.key_name,
      // Nova's `_add_security_grps`: a server in no group has no `security_groups` key at all (Tempest checks this).
      ...(details.securityGroups.length > 0 ? { security_groups: details.securityGroups.map((name) => ({ name })) } : {}),
      'OS-SRV-USG:launched_at': usageTime(row.launched_at),
      'OS-SRV-USG:terminated_at': usageTime(row.terminated_at),
      'OS-EXT-AZ:availability_zone': row.availability_zone ?? '',
      'OS-EXT-STS:task_state': row.task_state,
      'OS-EXT-STS:vm_state': row.vm_state,
      'OS-EXT-STS:power_state': row.power_state,
      'os-extended-volumes:volumes_attached': details.bdms
        .filter((b) => b.destination_type === 'volume' && b.volume_id)
        .map((b) => (isAtLeast(v, '2.3') ? { id: b.volume_id!, delete_on_termination: b.delete_on_termination === 1 } : { id: b.volume_id! })),
      config_drive: row.config_drive,
    })
    if (options.isAdmin) {
      Object.assign(view, {
        'OS-EXT-SRV-ATTR:host': row.host,
        'OS-EXT-SRV-ATTR:hypervisor_hostname': row.node,
        'OS-EXT-SRV-ATTR:instance_name': `instance-${row.uuid.slice(0, 8)}`,
      })
      if (isAtLeast(v, '2.3')) {
        Object.assign(view, {
          'OS-EXT-SRV-ATTR:reservation_id': row.reservation_id,
          'OS-EXT-SRV-ATTR:launch_index': row.launch_index,
          'OS-EXT-SRV-ATTR:hostname': row.hostname,
          'OS-EXT-SRV-ATTR:kernel_id': '',
          'OS-EXT-SRV-ATTR:ramdisk_id': '',
          'OS-EXT-SRV-ATTR:root_device_name': row.root_device_name,
          'OS-EXT-SRV-ATTR:user_data': row.user_data,
        })
      }
      if (isAtLeast(v, '2.16')) view.host_status = options.hostStatus?.(row.host) ?? ''
    }
  }
  if (isAtLeast(v, '2.9')) view.locked = row.locked === 1
  if (isAtLeast(v, '2.19')) view.description = row.display_description
  if (isAtLeast(v, '2.26')) view.tags = details.tags
  if (isAtLeast(v, '2.63')) view.trusted_image_certificates = null
  if (isAtLeast(v, '2.71') && options.serverGroups) view.server_groups = options.serverGroups
  if (isAtLeast(v, '2.73')) view.locked_reason = row.locked_reason
  return view
}
