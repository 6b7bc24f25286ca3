import { Type, type TSchema } from '@sinclair/typebox'
import { DEFAULT_VOLUME_QUOTAS } from '../../services/volume/volume-quotas.js'

/**
 * Response schemas of the other Cinder routes (summary, metadata, actions
 * with a body, types, zones, limits, quota sets, versions): only the named
 * properties reach a client. Leaves are `Unknown` (written as built).
 */
const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
const Any = Type.Unknown()
const Dict = Type.Record(Type.String(), Any)
const optionalOf = (names: readonly string[], leaf: TSchema) => Object.fromEntries(names.map((name) => [name, Opt(leaf)]))

/** `GET /volumes/summary` (3.12; `metadata` from 3.36). */
export const VolumeSummaryResponse = {
  200: Closed({ 'volume-summary': Closed({ total_size: Any, total_count: Any, metadata: Opt(Type.Record(Type.String(), Type.Array(Any))) }) }),
}
/** `GET/POST/PUT /volumes/{id}/metadata`. */
export const VolumeMetadataResponse = { 200: Closed({ metadata: Dict }) }
/** `GET/PUT /volumes/{id}/metadata/{key}`. */
export const VolumeMetaItemResponse = { 200: Closed({ meta: Dict }) }

/**
 * `POST /volumes/{id}/action`: 202 without a body for most actions, 200 with
 * none for os-set_bootable, 200 `{connection_info}` for os-initialize_connection.
 */
export const VolumeActionResponse = { 200: Closed({ connection_info: Opt(Closed({ driver_volume_type: Opt(Any), data: Opt(Any) })) }) }

const VolumeType = Closed({
  id: Any, name: Any, description: Any, is_public: Any, extra_specs: Dict, qos_specs_id: Any, 'os-volume-type-access:is_public': Any,
})
/** `GET /types`. */
export const VolumeTypeListResponse = { 200: Closed({ volume_types: Type.Array(VolumeType) }) }
/** `GET /types/{id}` and `/types/default`. */
export const VolumeTypeResponse = { 200: Closed({ volume_type: VolumeType }) }

/** `GET /os-availability-zone`. */
export const VolumeZoneListResponse = { 200: Closed({ availabilityZoneInfo: Type.Array(Closed({ zoneName: Any, zoneState: Closed({ available: Any }) })) }) }

const ABSOLUTE_NAMES = [
  'maxTotalVolumes', 'maxTotalSnapshots', 'maxTotalVolumeGigabytes', 'maxTotalBackups', 'maxTotalBackupGigabytes',
  'totalVolumesUsed', 'totalSnapshotsUsed', 'totalGigabytesUsed', 'totalBackupsUsed', 'totalBackupGigabytesUsed',
]
/** `GET /limits`. */
export const VolumeLimitsResponse = { 200: Closed({ limits: Closed({ rate: Type.Array(Any), absolute: Closed(optionalOf(ABSOLUTE_NAMES, Any)) }) }) }

const QUOTA_NAMES = Object.keys(DEFAULT_VOLUME_QUOTAS)
// A quota is a number, or with `?usage=True` its limit and usage.
const QuotaValue = Type.Union([Type.Number(), Closed({ limit: Any, in_use: Any, reserved: Any, allocated: Opt(Any) })])
/** `GET/PUT /os-quota-sets/{id}` and `/defaults` (`id` except in an update's answer). */
export const VolumeQuotaSetResponse = { 200: Closed({ quota_set: Closed({ id: Opt(Any), ...optionalOf(QUOTA_NAMES, QuotaValue) }) }) }

const Version = Closed({
  id: Any, status: Any, version: Any, min_version: Any, updated: Any,
  links: Type.Array(Closed({ rel: Any, href: Any, type: Opt(Any) })), 'media-types': Type.Array(Closed({ base: Any, type: Any })),
})
/** `GET /volume/` (300 Multiple Choices, as Cinder) and `/volume/v3`. */
export const VolumeVersionsResponse = { 200: Closed({ versions: Type.Array(Version) }), 300: Closed({ versions: Type.Array(Version) }) }
