import { Type, type TSchema } from '@sinclair/typebox'

/**
 * Response schemas of the Placement routes (views.ts and the route files):
 * only the named properties reach a client. Maps keyed by provider uuid,
 * consumer uuid or resource class are records; leaves are `Unknown`
 * (written exactly as built).
 */
const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
const Any = Type.Unknown()
const MapOf = <T extends TSchema>(schema: T) => Type.Record(Type.String(), schema)
const Links = Type.Array(Closed({ rel: Any, href: Any }))
/** Resource class → amount. */
const Resources = MapOf(Any)

/** `GET /placement/`: the version document. */
export const RootResponse = {
  200: Closed({ versions: Type.Array(Closed({ id: Any, max_version: Any, min_version: Any, status: Any, links: Links })) }),
}

const Provider = Closed({
  uuid: Any, name: Any, generation: Any, links: Links, parent_provider_uuid: Opt(Any), root_provider_uuid: Opt(Any),
})
/** `GET /resource_providers`. */
export const ProviderListResponse = { 200: Closed({ resource_providers: Type.Array(Provider) }) }
/** `GET/PUT /resource_providers/{uuid}`, `POST /resource_providers` from 1.20 (before: 201 without a body). */
export const ProviderResponse = { 200: Provider }
/** `GET/PUT /resource_providers/{uuid}/aggregates` (generation from 1.19). */
export const AggregatesResponse = { 200: Closed({ aggregates: Type.Array(Any), resource_provider_generation: Opt(Any) }) }

const InventoryFields = { total: Any, reserved: Any, min_unit: Any, max_unit: Any, step_size: Any, allocation_ratio: Any }
/** `GET/PUT /resource_providers/{uuid}/inventories`. */
export const InventoriesResponse = { 200: Closed({ resource_provider_generation: Any, inventories: MapOf(Closed(InventoryFields)) }) }
const Inventory = Closed({ ...InventoryFields, resource_provider_generation: Any })
/** `GET/PUT /resource_providers/{uuid}/inventories/{rc}` and the POST that creates one (201). */
export const InventoryResponse = { 200: Inventory, 201: Inventory }

/** `GET /traits`. */
export const TraitListResponse = { 200: Closed({ traits: Type.Array(Any) }) }
/** `GET/PUT /resource_providers/{uuid}/traits`. */
export const ProviderTraitsResponse = { 200: Closed({ traits: Type.Array(Any), resource_provider_generation: Any }) }

const ResourceClass = Closed({ name: Any, links: Links })
/** `GET /resource_classes`. */
export const ResourceClassListResponse = { 200: Closed({ resource_classes: Type.Array(ResourceClass) }) }
/** `GET /resource_classes/{name}` and the 1.2–1.6 rename (`PUT`). */
export const ResourceClassResponse = { 200: ResourceClass }

/** `GET /allocations/{consumer}`: by provider; the consumer's project, user (1.12), generation (1.28), type (1.38). */
export const ConsumerAllocationsResponse = {
  200: Closed({
    allocations: MapOf(Closed({ generation: Opt(Any), resources: Resources })),
    project_id: Opt(Any), user_id: Opt(Any), consumer_generation: Opt(Any), consumer_type: Opt(Any),
  }),
}
/** `GET /resource_providers/{uuid}/allocations`: by consumer (generation from 1.28). */
export const ProviderAllocationsResponse = {
  200: Closed({ allocations: MapOf(Closed({ resources: Resources, consumer_generation: Opt(Any) })), resource_provider_generation: Any }),
}

/** `GET /resource_providers/{uuid}/usages`. */
export const ProviderUsagesResponse = { 200: Closed({ resource_provider_generation: Any, usages: Resources }) }
/** `GET /usages`: resource class → amount, or (1.38) consumer type → those and `consumer_count`. */
export const UsagesResponse = { 200: Closed({ usages: MapOf(Any) }) }

const AllocationRequest = Closed({
  // Before 1.12 a list of `{resource_provider: {uuid}, resources}`, then a map by provider uuid.
  allocations: Type.Union([
    Type.Array(Closed({ resource_provider: Closed({ uuid: Any }), resources: Resources })),
    MapOf(Closed({ resources: Resources })),
  ]),
  mappings: Opt(MapOf(Type.Array(Any))),
})
const ProviderSummary = Closed({
  resources: MapOf(Closed({ capacity: Any, used: Any })), traits: Opt(Type.Array(Any)), parent_provider_uuid: Opt(Any), root_provider_uuid: Opt(Any),
})
/** `GET /allocation_candidates`. */
export const AllocationCandidatesResponse = { 200: Closed({ allocation_requests: Type.Array(AllocationRequest), provider_summaries: MapOf(ProviderSummary) }) }
