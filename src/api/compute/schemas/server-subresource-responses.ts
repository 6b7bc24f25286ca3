import { Type } from '@sinclair/typebox'
import { Any, Closed, Links, Opt } from './response-parts.js'

/**
 * Response schemas of `POST /servers/{id}/action` and the routes under
 * `/servers/{id}/` (server-subresource-routes.ts): only the properties the
 * views emit reach a client. Metadata is user data (a record of strings).
 */
const Metadata = Type.Record(Type.String(), Any)

/**
 * `POST /servers/{id}/action`: most actions are 202 without a body; rescue
 * (`{adminPass}`, `{}` when passwords are off) and os-getConsoleOutput
 * (`{output}`) and the ≤ 2.5 console actions (`{console: {type, url}}`)
 * answer 200; createImage from 2.45 answers 202 `{image_id}`.
 */
export const ServerActionResponse = {
  200: Closed({ adminPass: Opt(Any), output: Opt(Any), console: Opt(Closed({ type: Any, url: Any })) }),
  /** rebuild answers 202 with the server view and `adminPass` (server-rebuild-action.ts). */
  202: Closed({ image_id: Opt(Any), server: Opt(Any) }),
}

/** `GET/PUT/POST /servers/{id}/metadata`. */
export const ServerMetadataResponse = { 200: Closed({ metadata: Metadata }) }
/** `GET/PUT /servers/{id}/metadata/{key}`. */
export const ServerMetaItemResponse = { 200: Closed({ meta: Metadata }) }

/** `GET/PUT /servers/{id}/tags`. */
export const ServerTagsResponse = { 200: Closed({ tags: Type.Array(Any) }) }

/** `GET /servers/{id}/ips`: network label → addresses (views of the network service). */
export const ServerIpsResponse = { 200: Closed({ addresses: Type.Record(Type.String(), Type.Array(Any)) }) }

const VolumeAttachment = Closed({
  id: Opt(Any), serverId: Opt(Any), volumeId: Opt(Any), device: Opt(Any), tag: Opt(Any), delete_on_termination: Opt(Any),
  attachment_id: Opt(Any), bdm_uuid: Opt(Any),
})
/** `GET /servers/{id}/os-volume_attachments`. */
export const VolumeAttachmentListResponse = { 200: Closed({ volumeAttachments: Type.Array(VolumeAttachment) }) }
/** `GET/POST /servers/{id}/os-volume_attachments[/{volumeId}]`. */
export const VolumeAttachmentResponse = { 200: Closed({ volumeAttachment: VolumeAttachment }) }

const ActionFields = {
  action: Opt(Any), instance_uuid: Opt(Any), message: Opt(Any), project_id: Opt(Any), request_id: Opt(Any), start_time: Opt(Any),
  user_id: Opt(Any), updated_at: Opt(Any),
}
const ActionEvent = Closed({
  event: Opt(Any), start_time: Opt(Any), finish_time: Opt(Any), result: Opt(Any), traceback: Opt(Any), hostId: Opt(Any), host: Opt(Any),
  details: Opt(Any),
})
/** `GET /servers/{id}/os-instance-actions` (paged with `links` from 2.58). */
export const InstanceActionListResponse = { 200: Closed({ instanceActions: Type.Array(Closed(ActionFields)), links: Opt(Links) }) }
/** `GET /servers/{id}/os-instance-actions/{request_id}`: the action with its events. */
export const InstanceActionResponse = { 200: Closed({ instanceAction: Closed({ ...ActionFields, events: Opt(Type.Array(ActionEvent)) }) }) }
