import { createHash } from 'node:crypto'
import type { Microversion } from '../common/microversion.js'
import { isAtLeast } from '../common/microversion.js'
import type { VolumeAttachmentDetail, VolumeDetail, VolumeSnapshotDetail } from '../../services/volume/volume-service.js'
import { DEFAULT_VOLUME_TYPE, type VolumeTypeRecord } from '../../services/volume/volume-types.js'

/** Who asks and how: what decides which fields a view shows. */
export interface ViewContext {
  admin: boolean
  microversion: Microversion
  /** `http://host:port/volume`. */
  base: string
  /** The project in the request URL (links use it, as Cinder's do). */
  projectId: string
  /** Cinder's `host@backend#pool` for admins. */
  backendHost: string
}

/** Cinder's datetime on the wire: `YYYY-MM-DDTHH:MM:SS.ffffff`, no zone. */
export function cinderTime(iso: string): string
export function cinderTime(iso: string | null): string | null
export function cinderTime(iso: string | null): string | null {
  return iso === null ? null : iso.replace(/\.(\d{3})Z$/, '.$1000').replace(/Z$/, '.000000')
}

function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** Cinder's `_get_links`: self under `/v3/{project}`, bookmark without the version. */
export function resourceLinks(ctx: ViewContext, collection: string, id: string) {
  return [
    { href: `${ctx.base}/v3/${ctx.projectId}/${collection}/${id}`, rel: 'self' },
    { href: `${ctx.base}/${ctx.projectId}/${collection}/${id}`, rel: 'bookmark' },
  ]
}

/** Cinder's `_get_collection_links`: a `next` link when the page is full. */
export function collectionLinks(ctx: ViewContext, collection: string, items: Array<{ id: string }>, limit: number | undefined, query: Record<string, string | undefined>) {
  if (limit === undefined || limit === 0 || items.length < limit) return undefined
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined && key !== 'marker') params.set(key, value)
  params.set('marker', items[items.length - 1]!.id)
  return [{ href: `${ctx.base}/v3/${ctx.projectId}/${collection}?${params.toString()}`, rel: 'next' }]
}

/** Attachments as the volume view lists them: only attached ones; `host_name` only for admins. */
function volumeAttachmentsView(ctx: ViewContext, volume: VolumeDetail) {
  return volume.attachments.filter((a) => a.status === 'attached').map((a) => ({
    id: volume.id,
    attachment_id: a.id,
    volume_id: volume.id,
    server_id: a.instanceUuid,
    host_name: ctx.admin ? a.hostName : null,
    device: a.mountpoint,
    attached_at: cinderTime(a.attachedAt),
  }))
}

/** `GET /volumes`: id, name and links. */
export function volumeSummaryView(ctx: ViewContext, volume: VolumeDetail) {
  return { id: volume.id, name: volume.name, links: resourceLinks(ctx, 'volumes', volume.id) }
}

/** Cinder's v3 `ViewBuilder.detail` (what create and update answer), by microversion. */
export function volumeView(ctx: ViewContext, volume: VolumeDetail) {
  const mv = ctx.microversion
  const view: Record<string, unknown> = {
    id: volume.id,
    status: volume.status,
    size: volume.size,
    availability_zone: volume.availabilityZone,
    created_at: cinderTime(volume.createdAt),
    updated_at: cinderTime(volume.updatedAt),
    name: volume.name,
    description: volume.description,
    volume_type: DEFAULT_VOLUME_TYPE.name,
    snapshot_id: volume.snapshotId,
    source_volid: volume.sourceVolId,
    metadata: volume.metadata,
    links: resourceLinks(ctx, 'volumes', volume.id),
    user_id: volume.userId,
    bootable: volume.bootable ? 'true' : 'false',
    encrypted: false,
    replication_status: 'disabled',
    consistencygroup_id: null,
    multiattach: false,
    attachments: volumeAttachmentsView(ctx, volume),
  }
  if (ctx.admin) view.migration_status = null
  if (isAtLeast(mv, '3.13')) view.group_id = null
  if (ctx.admin && isAtLeast(mv, '3.21')) view.provider_id = null
  if (isAtLeast(mv, '3.48')) {
    // A file backend has no shared targets.
    view.shared_targets = false
    view.service_uuid = uuidFrom(ctx.backendHost)
  }
  if (ctx.admin && isAtLeast(mv, '3.61')) view.cluster_name = null
  if (isAtLeast(mv, '3.63')) view.volume_type_id = DEFAULT_VOLUME_TYPE.id
  if (isAtLeast(mv, '3.65')) view.consumes_quota = true
  return view
}

/** `GET /volumes/{id}` and `/volumes/detail`: the detail plus the extension attributes Cinder adds there. */
export function volumeShowView(ctx: ViewContext, volume: VolumeDetail) {
  const view = volumeView(ctx, volume)
  view['os-vol-tenant-attr:tenant_id'] = volume.projectId
  if (ctx.admin) {
    view['os-vol-host-attr:host'] = ctx.backendHost
    view['os-vol-mig-status-attr:migstat'] = null
    view['os-vol-mig-status-attr:name_id'] = null
  }
  if (Object.keys(volume.imageMetadata).length > 0) view.volume_image_metadata = volume.imageMetadata
  return view
}

/** Cinder's snapshot view (create answers this). */
export function snapshotView(ctx: ViewContext, snapshot: VolumeSnapshotDetail) {
  const view: Record<string, unknown> = {
    id: snapshot.id,
    created_at: cinderTime(snapshot.createdAt),
    updated_at: cinderTime(snapshot.updatedAt),
    name: snapshot.name,
    description: snapshot.description,
    volume_id: snapshot.volumeId,
    status: snapshot.status,
    size: snapshot.size,
    metadata: snapshot.metadata,
  }
  if (isAtLeast(ctx.microversion, '3.14')) view.group_snapshot_id = null
  if (isAtLeast(ctx.microversion, '3.41')) view.user_id = snapshot.userId
  return view
}

/** Show and detail add the extended snapshot attributes. */
export function snapshotShowView(ctx: ViewContext, snapshot: VolumeSnapshotDetail) {
  return {
    ...snapshotView(ctx, snapshot),
    'os-extended-snapshot-attributes:progress': snapshot.progress,
    'os-extended-snapshot-attributes:project_id': snapshot.projectId,
  }
}

/** Cinder's attachment summary. */
export function attachmentSummaryView(attachment: VolumeAttachmentDetail) {
  return { id: attachment.id, status: attachment.status, instance: attachment.instanceUuid, volume_id: attachment.volumeId }
}

/** Cinder's attachment detail (times as `''` when unset, as its view builder does). */
export function attachmentView(attachment: VolumeAttachmentDetail) {
  return {
    ...attachmentSummaryView(attachment),
    attached_at: attachment.attachedAt ? cinderTime(attachment.attachedAt) : '',
    detached_at: '',
    attach_mode: attachment.attachMode,
    connection_info: attachment.connectionInfo,
  }
}

/** Cinder's volume type view. */
export function volumeTypeView(type: VolumeTypeRecord) {
  return {
    id: type.id,
    name: type.name,
    description: type.description,
    is_public: type.isPublic,
    extra_specs: type.extraSpecs,
    qos_specs_id: null,
    'os-volume-type-access:is_public': type.isPublic,
  }
}
