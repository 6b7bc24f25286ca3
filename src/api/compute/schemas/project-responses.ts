import { Type, type TSchema } from '@sinclair/typebox'
import { Any, Closed, Links, Opt } from './response-parts.js'
import { DEFAULT_QUOTAS } from '../../../services/compute/compute-quotas.js'

/**
 * Response schemas of limits, os-quota-sets, os-availability-zone and the
 * version documents: only the properties the routes build reach a client.
 */

// limits-routes.ts: every absolute limit and usage name Nova's views/limits.py shows at some microversion.
const ABSOLUTE_NAMES = [
  'maxTotalRAMSize', 'maxTotalInstances', 'maxTotalCores', 'maxTotalKeypairs', 'maxTotalFloatingIps', 'maxServerMeta', 'maxImageMeta',
  'maxPersonality', 'maxPersonalitySize', 'maxSecurityGroups', 'maxSecurityGroupRules', 'maxServerGroups', 'maxServerGroupMembers',
  'totalRAMUsed', 'totalCoresUsed', 'totalInstancesUsed', 'totalFloatingIpsUsed', 'totalSecurityGroupsUsed', 'totalServerGroupsUsed',
]
const optionalOf = (names: readonly string[], leaf: TSchema) => Object.fromEntries(names.map((name) => [name, Opt(leaf)]))

/** `GET /limits`. */
export const LimitsResponse = { 200: Closed({ limits: Closed({ rate: Type.Array(Any), absolute: Closed(optionalOf(ABSOLUTE_NAMES, Any)) }) }) }

const QUOTA_NAMES = Object.keys(DEFAULT_QUOTAS)
/** `GET/PUT /os-quota-sets/{project_id}` and `/defaults`: `id` (not in an update's answer) and the quotas of the microversion. */
export const QuotaSetResponse = { 200: Closed({ quota_set: Closed({ id: Opt(Any), ...optionalOf(QUOTA_NAMES, Any) }) }) }
/** `GET /os-quota-sets/{project_id}/detail`: each quota with its usage. */
export const QuotaSetDetailResponse = {
  200: Closed({ quota_set: Closed({ id: Opt(Any), ...optionalOf(QUOTA_NAMES, Closed({ limit: Any, in_use: Any, reserved: Any })) }) }),
}

const HostServices = Type.Record(Type.String(), Type.Record(Type.String(), Closed({ available: Any, active: Any, updated_at: Any })))
const Zone = Closed({ zoneName: Any, zoneState: Closed({ available: Any }), hosts: Type.Union([Type.Null(), HostServices]) })
/** `GET /os-availability-zone` (hosts null) and `/detail` (host → service binary → state). */
export const AvailabilityZoneListResponse = { 200: Closed({ availabilityZoneInfo: Type.Array(Zone) }) }

const Version = Closed({
  id: Any, status: Any, version: Any, min_version: Any, updated: Any, links: Links,
  'media-types': Opt(Type.Array(Closed({ base: Any, type: Any }))),
})
/** `GET /compute/`: the version list. */
export const VersionListResponse = { 200: Closed({ versions: Type.Array(Version) }) }
/** `GET /compute/v2.1`: the current version. */
export const VersionResponse = { 200: Closed({ version: Version }) }
