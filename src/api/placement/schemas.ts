import { Type } from '@sinclair/typebox'

// placement/schemas/*.py, as TypeBox. Patterns from schemas/common.py.
const UUID = '^[0-9a-fA-F-]{36}$'
const RC = '^[A-Z0-9_]+$'
const CUSTOM = '^CUSTOM_[A-Z0-9_]+$'
const MAX_INT = 2147483647
const UuidString = Type.String({ pattern: UUID })
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])

export const ProviderCreate = Type.Object({ name: Type.String({ maxLength: 200 }), uuid: Type.Optional(UuidString) }, { additionalProperties: false })
export const ProviderCreate114 = Type.Object({
  name: Type.String({ maxLength: 200 }), uuid: Type.Optional(UuidString), parent_provider_uuid: Type.Optional(Nullable(UuidString)),
}, { additionalProperties: false })
export const ProviderUpdate = Type.Object({ name: Type.String({ maxLength: 200 }) }, { additionalProperties: false })
export const ProviderUpdate114 = Type.Object({ name: Type.String({ maxLength: 200 }), parent_provider_uuid: Type.Optional(Nullable(UuidString)) }, { additionalProperties: false })

const count = (min: number) => Type.Integer({ minimum: min, maximum: MAX_INT })
const inventoryFields = {
  total: count(1),
  reserved: Type.Optional(count(0)),
  min_unit: Type.Optional(count(1)),
  max_unit: Type.Optional(count(1)),
  step_size: Type.Optional(count(1)),
  allocation_ratio: Type.Optional(Type.Number({ maximum: 3.40282e38 })),
}
export const InventoryUpdate = Type.Object({ resource_provider_generation: Type.Integer(), ...inventoryFields }, { additionalProperties: false })
export const InventoryCreate = Type.Object({ resource_class: Type.String({ pattern: RC }), resource_provider_generation: Type.Optional(Type.Integer()), ...inventoryFields }, { additionalProperties: false })
export const InventoriesPut = Type.Object({
  resource_provider_generation: Type.Integer(),
  inventories: Type.Record(Type.String({ pattern: RC }), Type.Object({ resource_provider_generation: Type.Optional(Type.Integer()), ...inventoryFields }, { additionalProperties: false })),
}, { additionalProperties: false })

export const ProviderTraitsPut = Type.Object({
  traits: Type.Array(Type.String({ minLength: 1, maxLength: 255 })),
  resource_provider_generation: Type.Integer(),
}, { additionalProperties: false })

/** The name rule of `PUT /traits/{name}` (schemas/trait.py CUSTOM_TRAIT). */
export const CUSTOM_NAME = new RegExp(CUSTOM)

export const ResourceClassBody = Type.Object({ name: Type.String({ pattern: CUSTOM, maxLength: 255 }) }, { additionalProperties: false })

const aggregateList = Type.Array(UuidString, { uniqueItems: true })
export const AggregatesPut11 = aggregateList
export const AggregatesPut119 = Type.Object({ aggregates: aggregateList, resource_provider_generation: Type.Integer() }, { additionalProperties: false })

const resources = Type.Record(Type.String({ pattern: RC }), Type.Integer({ minimum: 1 }), { additionalProperties: false, minProperties: 1 })
const ownerFields = {
  project_id: Type.String({ minLength: 1, maxLength: 255 }),
  user_id: Type.String({ minLength: 1, maxLength: 255 }),
}
export const AllocationList10 = Type.Object({
  allocations: Type.Array(Type.Object({
    resource_provider: Type.Object({ uuid: UuidString }, { additionalProperties: false }),
    resources,
  }, { additionalProperties: false }), { minItems: 1 }),
}, { additionalProperties: false })
export const AllocationList18 = Type.Object({ ...AllocationList10.properties, ...ownerFields }, { additionalProperties: false })

const providerAllocations = (minProperties: number) => Type.Record(Type.String({ pattern: UUID }), Type.Object({
  generation: Type.Optional(Type.Integer()), resources,
}, { additionalProperties: false }), { additionalProperties: false, minProperties })
export const AllocationDict112 = Type.Object({ allocations: providerAllocations(1), ...ownerFields }, { additionalProperties: false })
const Deletable112 = Type.Object({ allocations: providerAllocations(0), ...ownerFields }, { additionalProperties: false })
const generationField = { consumer_generation: Type.Union([Type.Integer(), Type.Null()]) }
export const AllocationDict128 = Type.Object({ allocations: providerAllocations(0), ...ownerFields, ...generationField }, { additionalProperties: false })
const mappings = Type.Record(Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' }), Type.Array(UuidString, { minItems: 1 }), { minProperties: 1 })
export const AllocationDict134 = Type.Object({ ...AllocationDict128.properties, mappings: Type.Optional(mappings) }, { additionalProperties: false })
export const AllocationDict138 = Type.Object({ ...AllocationDict134.properties, consumer_type: Type.String({ pattern: RC, minLength: 1, maxLength: 255 }) }, { additionalProperties: false })

const byConsumer = <T extends ReturnType<typeof Type.Object>>(entry: T) => Type.Record(Type.String({ pattern: UUID }), entry, { additionalProperties: false, minProperties: 1 })
export const AllocationsPost113 = byConsumer(Deletable112)
export const AllocationsPost128 = byConsumer(AllocationDict128)
export const AllocationsPost134 = byConsumer(AllocationDict134)
export const AllocationsPost138 = byConsumer(AllocationDict138)

const reshaperInventories = Type.Record(Type.String({ pattern: UUID }), Type.Object({
  resource_provider_generation: Type.Integer(),
  inventories: InventoriesPut.properties.inventories,
}, { additionalProperties: false }), { additionalProperties: false })
export const Reshape130 = Type.Object({ inventories: reshaperInventories, allocations: byConsumer(AllocationDict128) }, { additionalProperties: false })
export const Reshape134 = Type.Object({ inventories: reshaperInventories, allocations: byConsumer(AllocationDict134) }, { additionalProperties: false })
export const Reshape138 = Type.Object({ inventories: reshaperInventories, allocations: byConsumer(AllocationDict138) }, { additionalProperties: false })
