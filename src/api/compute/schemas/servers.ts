import { Type, type Static } from '@sinclair/typebox'

const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }))
const IntLike = Type.Union([Type.Integer(), Type.String({ pattern: '^-?[0-9]+$' })])
// Nova's parameter_types.positive_integer (min_count, max_count): integers >= 1; the quota bounds them above.
const PositiveIntLike = Type.Union([Type.Integer({ minimum: 1, maximum: 2147483647 }), Type.String({ pattern: '^0*[1-9][0-9]{0,9}$' })])
const BoolLike = Type.Union([Type.Boolean(), Type.String()])

const BlockDeviceMappingV2 = Type.Object({
  source_type: Type.Optional(Type.Union([Type.Literal('volume'), Type.Literal('image'), Type.Literal('snapshot'), Type.Literal('blank')])),
  destination_type: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('volume')])),
  boot_index: Type.Optional(Type.Union([IntLike, Type.Null()])),
  uuid: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  volume_size: Type.Optional(Type.Union([IntLike, Type.Null()])),
  delete_on_termination: Type.Optional(BoolLike),
  device_name: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
  device_type: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  disk_bus: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  guest_format: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  tag: Type.Optional(Type.Union([Type.String({ maxLength: 60 }), Type.Null()])),
  volume_type: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  no_device: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  connection_info: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  snapshot_id: Type.Optional(Type.String()),
  volume_id: Type.Optional(Type.String()),
}, { additionalProperties: false })

const Network = Type.Object({
  uuid: Type.Optional(Type.String()),
  port: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  fixed_ip: Type.Optional(Type.String()),
  tag: Type.Optional(Type.String()),
}, { additionalProperties: false })

/** `POST /servers` (Nova's schemas/servers.py `create`, every microversion up to 2.87). */
export const CreateServerBody = Type.Object({
  server: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 255, pattern: '^(?! )[\\S\\s]*(?<! )$' }),
    imageRef: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    flavorRef: Type.Union([Type.String({ minLength: 1 }), Type.Integer()]),
    adminPass: Type.Optional(Type.String()),
    metadata: Type.Optional(Metadata),
    // The list first: Ajv's coercion inside anyOf would otherwise rewrite a one-entry list while trying the strings.
    networks: Type.Optional(Type.Union([Type.Array(Network), Type.Literal('auto'), Type.Literal('none')])),
    'OS-DCF:diskConfig': Type.Optional(Type.Union([Type.Literal('AUTO'), Type.Literal('MANUAL')])),
    accessIPv4: Type.Optional(Type.String()),
    accessIPv6: Type.Optional(Type.String()),
    personality: Type.Optional(Type.Array(Type.Object({ path: Type.String(), contents: Type.String() }))),
    availability_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    block_device_mapping_v2: Type.Optional(Type.Array(BlockDeviceMappingV2)),
    block_device_mapping: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    config_drive: Type.Optional(Type.Union([Type.Boolean(), Type.String(), Type.Null()])),
    key_name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    min_count: Type.Optional(PositiveIntLike),
    max_count: Type.Optional(PositiveIntLike),
    return_reservation_id: Type.Optional(BoolLike),
    security_groups: Type.Optional(Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: false }))),
    user_data: Type.Optional(Type.Union([Type.String({ maxLength: 65535 }), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 60, pattern: '^[^,/]*$' }), { maxItems: 50 })),
    trusted_image_certificates: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    host: Type.Optional(Type.String()),
    hypervisor_hostname: Type.Optional(Type.String()),
  }, { additionalProperties: false }),
  'os:scheduler_hints': Type.Optional(Type.Object({}, { additionalProperties: true })),
  'OS-SCH-HNT:scheduler_hints': Type.Optional(Type.Object({}, { additionalProperties: true })),
}, { additionalProperties: false })
export type CreateServerBody = Static<typeof CreateServerBody>

/** `PUT /servers/{id}`. */
export const UpdateServerBody = Type.Object({
  server: Type.Object({
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    accessIPv4: Type.Optional(Type.String()),
    accessIPv6: Type.Optional(Type.String()),
    'OS-DCF:diskConfig': Type.Optional(Type.String()),
    hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
  }, { additionalProperties: false }),
}, { additionalProperties: false })

export const ServerIdParams = Type.Object({ id: Type.String() })
