import { Type, type Static } from '@sinclair/typebox'

// Cinder's schemas (cinder/api/schemas/*.py), loose where Cinder is loose.
// Nullable fields use one multi-type schema, never a union with null: the app's Ajv coerces
// types, and inside a union it would turn null into "" or 0 (or 0 into null) on the way.

/** `type: [string, null]`. */
function nullableString(options: { maxLength?: number; minLength?: number } = {}) {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], ...options })
}

const Name = nullableString({ maxLength: 255 })
const Description = nullableString({ maxLength: 255 })
/** Cinder's `metadata`: string keys (1–255) to string values (≤255). */
export const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }))
const NullableMetadata = Type.Unsafe<Record<string, string> | null>({
  type: ['object', 'null'], propertyNames: { minLength: 1, maxLength: 255 }, additionalProperties: { type: 'string', maxLength: 255 },
})
const Uuid = Type.String({ minLength: 1, maxLength: 255 })
const NullableUuid = nullableString({ minLength: 1, maxLength: 255 })
const Flag = Type.Union([Type.Boolean(), Type.String()])
const Connector = Type.Record(Type.String(), Type.Unknown())
const NullableConnector = Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'] })

export const ProjectParams = Type.Object({ project_id: Type.Optional(Type.String()) })
export const IdParams = Type.Object({ project_id: Type.Optional(Type.String()), id: Type.String() })
export const MetaKeyParams = Type.Object({ project_id: Type.Optional(Type.String()), id: Type.String(), key: Type.String() })

/** Keys `volume` takes in a create body (3.53+ rejects any other). */
export const VOLUME_CREATE_KEYS = [
  'name', 'description', 'display_name', 'display_description', 'volume_type', 'metadata', 'snapshot_id', 'source_volid',
  'consistencygroup_id', 'size', 'availability_zone', 'multiattach', 'image_id', 'imageRef', 'group_id', 'backup_id',
] as const

export const VolumeCreate = Type.Object({
  volume: Type.Object({
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    display_name: Type.Optional(Name),
    display_description: Type.Optional(Description),
    volume_type: Type.Optional(nullableString({ maxLength: 255 })),
    metadata: Type.Optional(NullableMetadata),
    snapshot_id: Type.Optional(NullableUuid),
    source_volid: Type.Optional(NullableUuid),
    consistencygroup_id: Type.Optional(NullableUuid),
    size: Type.Optional(Type.Unsafe<number | string | null>({ type: ['integer', 'string', 'null'] })),
    availability_zone: Type.Optional(nullableString({ maxLength: 255 })),
    multiattach: Type.Optional(Flag),
    image_id: Type.Optional(nullableString({ maxLength: 255 })),
    imageRef: Type.Optional(nullableString({ maxLength: 255 })),
    group_id: Type.Optional(nullableString({ maxLength: 255 })),
    backup_id: Type.Optional(NullableUuid),
  }, { additionalProperties: true }),
  'OS-SCH-HNT:scheduler_hints': Type.Optional(Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'] })),
}, { additionalProperties: false })
export type VolumeCreate = Static<typeof VolumeCreate>

export const VolumeUpdate = Type.Object({
  volume: Type.Object({
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    display_name: Type.Optional(Name),
    display_description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
  }, { additionalProperties: false }),
}, { additionalProperties: false })

export const MetadataBody = Type.Object({ metadata: Metadata }, { additionalProperties: false })
export const MetaItemBody = Type.Object({ meta: Metadata }, { additionalProperties: false })

const NoArgs = Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'] })

/** A `POST /volumes/{id}/action` body: one action key. */
export const VolumeAction = Type.Object({
  'os-extend': Type.Optional(Type.Object({ new_size: Type.Union([Type.Integer(), Type.String()]) }, { additionalProperties: false })),
  'os-set_bootable': Type.Optional(Type.Object({ bootable: Flag }, { additionalProperties: false })),
  'os-reset_status': Type.Optional(Type.Object({
    status: Type.Optional(Type.String()), attach_status: Type.Optional(Type.String()), migration_status: Type.Optional(Type.String()),
  }, { additionalProperties: false })),
  'os-force_delete': Type.Optional(NoArgs),
  'os-reserve': Type.Optional(NoArgs),
  'os-unreserve': Type.Optional(NoArgs),
  'os-begin_detaching': Type.Optional(NoArgs),
  'os-roll_detaching': Type.Optional(NoArgs),
  'os-attach': Type.Optional(Type.Object({
    instance_uuid: Type.Optional(nullableString()),
    host_name: Type.Optional(nullableString()),
    mountpoint: Type.String(),
    mode: Type.Optional(Type.String()),
  }, { additionalProperties: false })),
  'os-detach': Type.Optional(Type.Unsafe<{ attachment_id?: string | null } | null>({
    type: ['object', 'null'], properties: { attachment_id: { type: ['string', 'null'] } }, additionalProperties: false,
  })),
  'os-initialize_connection': Type.Optional(Type.Object({ connector: Connector }, { additionalProperties: false })),
  'os-terminate_connection': Type.Optional(Type.Object({ connector: Connector }, { additionalProperties: false })),
}, { additionalProperties: true })
export type VolumeAction = Static<typeof VolumeAction>

export const SnapshotCreate = Type.Object({
  snapshot: Type.Object({
    volume_id: Type.String({ minLength: 1, maxLength: 255 }),
    name: Type.Optional(Name),
    display_name: Type.Optional(Name),
    description: Type.Optional(Description),
    force: Type.Optional(Flag),
    metadata: Type.Optional(NullableMetadata),
  }, { additionalProperties: false }),
}, { additionalProperties: false })

export const SnapshotUpdate = Type.Object({
  snapshot: Type.Object({
    name: Type.Optional(Name),
    display_name: Type.Optional(Name),
    description: Type.Optional(Description),
    display_description: Type.Optional(Description),
  }, { additionalProperties: false, minProperties: 1 }),
}, { additionalProperties: false })

export const SnapshotAction = Type.Object({
  'os-force_delete': Type.Optional(NoArgs),
}, { additionalProperties: true })

export const AttachmentCreate = Type.Object({
  attachment: Type.Object({
    volume_uuid: Type.String({ minLength: 1, maxLength: 255 }),
    instance_uuid: Type.Optional(nullableString({ maxLength: 255 })),
    connector: Type.Optional(NullableConnector),
    mode: Type.Optional(Type.Unsafe<'rw' | 'ro' | 'null' | null>({ type: ['string', 'null'], enum: ['rw', 'ro', 'null', null] })),
  }, { additionalProperties: false }),
}, { additionalProperties: false })

export const AttachmentUpdate = Type.Object({
  attachment: Type.Object({ connector: Connector }, { additionalProperties: false }),
}, { additionalProperties: false })

export const AttachmentAction = Type.Object({
  'os-complete': Type.Optional(NoArgs),
}, { additionalProperties: true })
