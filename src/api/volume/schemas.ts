import { Type, type Static } from '@sinclair/typebox'

// Cinder's schemas (cinder/api/schemas/*.py), loose where Cinder is loose.

const Name = Type.Union([Type.String({ maxLength: 255 }), Type.Null()])
const Description = Type.Union([Type.String({ maxLength: 255 }), Type.Null()])
/** Cinder's `metadata`: string keys (1–255) to string values (≤255). */
export const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }))
const Uuid = Type.String({ minLength: 1, maxLength: 255 })
const Flag = Type.Union([Type.Boolean(), Type.String()])
const Connector = Type.Record(Type.String(), Type.Unknown())

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
    volume_type: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    metadata: Type.Optional(Type.Union([Metadata, Type.Null()])),
    snapshot_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    source_volid: Type.Optional(Type.Union([Uuid, Type.Null()])),
    consistencygroup_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    size: Type.Optional(Type.Union([Type.Integer(), Type.String(), Type.Null()])),
    availability_zone: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    multiattach: Type.Optional(Flag),
    image_id: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    imageRef: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    group_id: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    backup_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
  }, { additionalProperties: true }),
  'OS-SCH-HNT:scheduler_hints': Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
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

const NoArgs = Type.Union([Type.Null(), Type.Object({}, { additionalProperties: true })])

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
    instance_uuid: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    host_name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    mountpoint: Type.String(),
    mode: Type.Optional(Type.String()),
  }, { additionalProperties: false })),
  'os-detach': Type.Optional(Type.Union([Type.Null(), Type.Object({ attachment_id: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, { additionalProperties: false })])),
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
    metadata: Type.Optional(Type.Union([Metadata, Type.Null()])),
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
    instance_uuid: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    connector: Type.Optional(Type.Union([Connector, Type.Null()])),
    mode: Type.Optional(Type.Union([Type.Literal('rw'), Type.Literal('ro'), Type.Literal('null'), Type.Null()])),
  }, { additionalProperties: false }),
}, { additionalProperties: false })

export const AttachmentUpdate = Type.Object({
  attachment: Type.Object({ connector: Connector }, { additionalProperties: false }),
}, { additionalProperties: false })

export const AttachmentAction = Type.Object({
  'os-complete': Type.Optional(NoArgs),
}, { additionalProperties: true })
