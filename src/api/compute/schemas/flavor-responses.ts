import { Type } from '@sinclair/typebox'
import { Any, Closed, Links, Opt } from './response-parts.js'

/**
 * Response schemas of the flavor routes (views/flavor-view.ts): only these
 * properties reach a client. `description` (2.55+) and `extra_specs` (2.61+)
 * depend on the microversion; `swap` is "" or a number, so leaves are `Any`.
 */
const Flavor = Closed({
  id: Opt(Any), name: Opt(Any), ram: Opt(Any), disk: Opt(Any), swap: Opt(Any), 'OS-FLV-EXT-DATA:ephemeral': Opt(Any),
  'OS-FLV-DISABLED:disabled': Opt(Any), vcpus: Opt(Any), 'os-flavor-access:is_public': Opt(Any), rxtx_factor: Opt(Any),
  links: Opt(Links), description: Opt(Any), extra_specs: Opt(Type.Record(Type.String(), Any)),
})
const FlavorSummary = Closed({ id: Opt(Any), name: Opt(Any), links: Opt(Links), description: Opt(Any) })

/** `GET /flavors`. */
export const FlavorSummaryListResponse = { 200: Closed({ flavors: Type.Array(FlavorSummary), flavors_links: Opt(Links) }) }
/** `GET /flavors/detail`. */
export const FlavorDetailListResponse = { 200: Closed({ flavors: Type.Array(Flavor), flavors_links: Opt(Links) }) }
/** `GET/PUT /flavors/{id}` and `POST /flavors` (Nova answers 200). */
export const FlavorResponse = { 200: Closed({ flavor: Flavor }) }

/** `GET/POST /flavors/{id}/os-extra_specs`: the specs are operator data (a record). */
export const ExtraSpecsResponse = { 200: Closed({ extra_specs: Type.Record(Type.String(), Any) }) }
/** `GET/PUT /flavors/{id}/os-extra_specs/{key}`: `{<key>: <value>}`. */
export const ExtraSpecItemResponse = { 200: Type.Record(Type.String(), Any) }
/** `GET /flavors/{id}/os-flavor-access` and the add/remove tenant access actions. */
export const FlavorAccessResponse = { 200: Closed({ flavor_access: Type.Array(Closed({ flavor_id: Any, tenant_id: Any })) }) }
