import { isAtLeast, type Microversion } from '../../common/microversion.js'
import type { FlavorRecord } from '../../../services/compute/flavor-service.js'
import type { FlavorAccessEntry } from '../../../services/compute/flavor-access.js'
import { resourceLinks } from './resource-links.js'

/** `{id, name, links}` of `GET /flavors`, with `description` from 2.55. */
export function flavorSummaryView(flavor: FlavorRecord, base: string, mv: Microversion) {
  return {
    id: flavor.id,
    name: flavor.name,
    links: resourceLinks(base, 'flavors', flavor.id),
    ...(isAtLeast(mv, '2.55') ? { description: flavor.description } : {}),
  }
}

/**
 * A flavor in full (views/flavors.py show): `swap` is "" when 0 before 2.75,
 * `description` from 2.55, `extra_specs` from 2.61.
 */
export function flavorView(flavor: FlavorRecord, base: string, mv: Microversion) {
  return {
    id: flavor.id,
    name: flavor.name,
    ram: flavor.ram,
    disk: flavor.disk,
    swap: isAtLeast(mv, '2.75') ? flavor.swap : flavor.swap || '',
    'OS-FLV-EXT-DATA:ephemeral': flavor.ephemeral,
    'OS-FLV-DISABLED:disabled': flavor.disabled,
    vcpus: flavor.vcpus,
    'os-flavor-access:is_public': flavor.isPublic,
    rxtx_factor: flavor.rxtxFactor,
    links: resourceLinks(base, 'flavors', flavor.id),
    ...(isAtLeast(mv, '2.55') ? { description: flavor.description } : {}),
    ...(isAtLeast(mv, '2.61') ? { extra_specs: flavor.extraSpecs } : {}),
  }
}

/** `{"flavor_access": [{flavor_id, tenant_id}]}`. */
export function flavorAccessView(entries: FlavorAccessEntry[]) {
  return { flavor_access: entries.map((e) => ({ flavor_id: e.flavorId, tenant_id: e.projectId })) }
}
