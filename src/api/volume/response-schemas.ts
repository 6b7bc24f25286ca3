import { Type, type TSchema } from '@sinclair/typebox'

/**
 * Response schemas of the volume, snapshot and attachment routes (views.ts):
 * the serializer writes only the properties named here, so a column added to
 * a volume row can never reach a client by accident. Views vary by
 * microversion and role, so properties are optional; leaves are `Unknown`
 * (written exactly as the view built them, no coercion).
 */
const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
const Any = Type.Unknown()
const Links = Type.Array(Closed({ href: Type.String(), rel: Type.String() }))
const Dict = Type.Record(Type.String(), Any)

const VolumeAttachment = Closed({
  id: Opt(Any), attachment_id: Opt(Any), volume_id: Opt(Any), server_id: Opt(Any), host_name: Opt(Any), device: Opt(Any), attached_at: Opt(Any),
})

/** Every property of the summary, detail and show views of a volume. */
const Volume = Closed({
  id: Opt(Any), status: Opt(Any), size: Opt(Any), availability_zone: Opt(Any), created_at: Opt(Any), updated_at: Opt(Any), name: Opt(Any),
  description: Opt(Any), volume_type: Opt(Any), snapshot_id: Opt(Any), source_volid: Opt(Any), metadata: Opt(Dict), links: Opt(Links),
  user_id: Opt(Any), bootable: Opt(Any), encrypted: Opt(Any), replication_status: Opt(Any), consistencygroup_id: Opt(Any), multiattach: Opt(Any),
  attachments: Opt(Type.Array(VolumeAttachment)), migration_status: Opt(Any), group_id: Opt(Any), provider_id: Opt(Any),
  shared_targets: Opt(Any), service_uuid: Opt(Any), cluster_name: Opt(Any), volume_type_id: Opt(Any), consumes_quota: Opt(Any),
  'os-vol-tenant-attr:tenant_id': Opt(Any), 'os-vol-host-attr:host': Opt(Any), 'os-vol-mig-status-attr:migstat': Opt(Any),
  'os-vol-mig-status-attr:name_id': Opt(Any), volume_image_metadata: Opt(Dict),
})

/** `GET /volumes` and `/volumes/detail`. */
export const VolumeListResponse = { 200: Closed({ volumes: Type.Array(Volume), volumes_links: Opt(Links), count: Opt(Any) }) }
/** `GET/PUT /volumes/{id}`, `POST /volumes` (202). */
export const VolumeResponse = { 200: Closed({ volume: Volume }), 202: Closed({ volume: Volume }) }

const Snapshot = Closed({
  id: Opt(Any), created_at: Opt(Any), updated_at: Opt(Any), name: Opt(Any), description: Opt(Any), volume_id: Opt(Any), status: Opt(Any),
  size: Opt(Any), metadata: Opt(Dict), group_snapshot_id: Opt(Any), user_id: Opt(Any),
  'os-extended-snapshot-attributes:progress': Opt(Any), 'os-extended-snapshot-attributes:project_id': Opt(Any),
})
/** `GET /snapshots` and `/snapshots/detail`. */
export const SnapshotListResponse = { 200: Closed({ snapshots: Type.Array(Snapshot), snapshots_links: Opt(Links), count: Opt(Any) }) }
/** `GET/PUT /snapshots/{id}`, `POST /snapshots` (202). */
export const SnapshotResponse = { 200: Closed({ snapshot: Snapshot }), 202: Closed({ snapshot: Snapshot }) }

const Attachment = Closed({
  id: Opt(Any), status: Opt(Any), instance: Opt(Any), volume_id: Opt(Any), attached_at: Opt(Any), detached_at: Opt(Any),
  attach_mode: Opt(Any), connection_info: Opt(Any),
})
/** `GET /attachments`, `/attachments/detail` and `DELETE /attachments/{id}`. */
export const AttachmentListResponse = { 200: Closed({ attachments: Type.Array(Attachment) }) }
/** `GET/PUT /attachments/{id}`, `POST /attachments`. */
export const AttachmentResponse = { 200: Closed({ attachment: Attachment }) }
