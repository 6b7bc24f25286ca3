import { Type } from '@sinclair/typebox'

/** Nova's flavor_param_positive / non_negative: an integer or a string of digits (checked again in the route). */
const FlavorInt = (minimum: number) => Type.Union([Type.Integer({ minimum, maximum: 2147483647 }), Type.String({ pattern: '^[0-9]+$' })])

const FlavorDescription = Type.Union([Type.String({ maxLength: 65535 }), Type.Null()])

const flavorCreateProperties = {
  // Nova's parameter_types.name: no leading or trailing whitespace.
  name: Type.String({ minLength: 1, maxLength: 255, pattern: '^\\S(.*\\S)?$' }),
  id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255, pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$' }), Type.Number(), Type.Null()])),
  ram: FlavorInt(1),
  vcpus: FlavorInt(1),
  disk: FlavorInt(0),
  'OS-FLV-EXT-DATA:ephemeral': Type.Optional(FlavorInt(0)),
  swap: Type.Optional(FlavorInt(0)),
  rxtx_factor: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 3.40282e38 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' })])),
  'os-flavor-access:is_public': Type.Optional(Type.Boolean()),
}

/** `POST /flavors` (every microversion takes `description`; the route checks it needs 2.55). */
export const FlavorCreateV255 = Type.Object({
  flavor: Type.Object({ ...flavorCreateProperties, description: Type.Optional(FlavorDescription) }, { additionalProperties: false }),
}, { additionalProperties: false })

/** `PUT /flavors/{id}` (2.55): only the description. */
export const FlavorUpdate = Type.Object({
  flavor: Type.Object({ description: FlavorDescription }, { additionalProperties: false }),
}, { additionalProperties: false })

const specKey = '^[a-zA-Z0-9-_:. ]{1,255}$'
const SpecValue = Type.Union([Type.String({ maxLength: 255 }), Type.Number()])
const Specs = Type.Record(Type.String({ pattern: specKey }), SpecValue, { additionalProperties: false })

/** `POST /flavors/{id}/os-extra_specs`. */
export const ExtraSpecsCreate = Type.Object({ extra_specs: Specs }, { additionalProperties: false })

/** `PUT /flavors/{id}/os-extra_specs/{key}`: exactly one key. */
export const ExtraSpecUpdate = Type.Record(Type.String({ pattern: specKey }), SpecValue, { additionalProperties: false, minProperties: 1, maxProperties: 1 })

/** `POST /flavors/{id}/action`: addTenantAccess or removeTenantAccess. */
export const FlavorAction = Type.Union([
  Type.Object({ addTenantAccess: Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({ removeTenantAccess: Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }) }, { additionalProperties: false }),
])

/** `{id}` of a flavor route. */
export const FlavorIdParams = Type.Object({ id: Type.String() })

/** `{id}` and `{key}` of an extra spec route. */
export const ExtraSpecParams = Type.Object({ id: Type.String(), key: Type.String() })

/** Query of `GET /flavors[/detail]` (repeated keys come as arrays). */
export const FlavorListQuery = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))
