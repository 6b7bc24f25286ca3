import { Type } from '@sinclair/typebox'
import { Any, Closed, Links, Opt } from './response-parts.js'

/**
 * Response schemas of the server routes (views/server-view.ts): the serializer
 * writes only these properties (`additionalProperties: false` at every level
 * but `metadata` and the flavor's `extra_specs`, which are user data), so a
 * column added to an instance row can never reach a client by accident.
 * The view varies by microversion and role, so every property is optional;
 * leaves whose type follows a database column are `Unknown` so the serializer
 * writes them exactly as the view built them (no coercion).
 */
const Flavor = Type.Union([
  // Before 2.47: a reference.
  Closed({ id: Any, links: Links }),
  // From 2.47: the embedded flavor.
  Closed({ vcpus: Any, ram: Any, disk: Any, ephemeral: Any, swap: Any, original_name: Any, extra_specs: Type.Record(Type.String(), Any) }),
])

/** The full server of show/detail/update (every property the view can emit). */
export const ServerView = Closed({
  id: Opt(Type.String()), name: Opt(Any), status: Opt(Any), tenant_id: Opt(Any), user_id: Opt(Any),
  metadata: Opt(Type.Record(Type.String(), Type.String())), hostId: Opt(Any),
  // `''` for a server booted from a volume.
  image: Opt(Type.Union([Closed({ id: Any, links: Links }), Type.String()])),
  flavor: Opt(Flavor), created: Opt(Any), updated: Opt(Any),
  addresses: Opt(Type.Record(Type.String(), Type.Array(Any))),
  accessIPv4: Opt(Any), accessIPv6: Opt(Any), links: Opt(Links), 'OS-DCF:diskConfig': Opt(Any), progress: Opt(Any),
  fault: Opt(Closed({ code: Any, created: Any, message: Any, details: Opt(Any) })),
  key_name: Opt(Any), security_groups: Opt(Type.Array(Closed({ name: Any }))),
  'OS-SRV-USG:launched_at': Opt(Any), 'OS-SRV-USG:terminated_at': Opt(Any), 'OS-EXT-AZ:availability_zone': Opt(Any),
  'OS-EXT-STS:task_state': Opt(Any), 'OS-EXT-STS:vm_state': Opt(Any), 'OS-EXT-STS:power_state': Opt(Any),
  'os-extended-volumes:volumes_attached': Opt(Type.Array(Closed({ id: Any, delete_on_termination: Opt(Any) }))),
  config_drive: Opt(Any),
  'OS-EXT-SRV-ATTR:host': Opt(Any), 'OS-EXT-SRV-ATTR:hypervisor_hostname': Opt(Any), 'OS-EXT-SRV-ATTR:instance_name': Opt(Any),
  'OS-EXT-SRV-ATTR:reservation_id': Opt(Any), 'OS-EXT-SRV-ATTR:launch_index': Opt(Any), 'OS-EXT-SRV-ATTR:hostname': Opt(Any),
  'OS-EXT-SRV-ATTR:kernel_id': Opt(Any), 'OS-EXT-SRV-ATTR:ramdisk_id': Opt(Any), 'OS-EXT-SRV-ATTR:root_device_name': Opt(Any),
  'OS-EXT-SRV-ATTR:user_data': Opt(Any), host_status: Opt(Any),
  locked: Opt(Any), description: Opt(Any), tags: Opt(Type.Array(Any)), trusted_image_certificates: Opt(Any),
  server_groups: Opt(Type.Array(Any)), locked_reason: Opt(Any),
})

const ServerSummary = Closed({ id: Type.String(), name: Any, links: Links })

/** `POST /servers`: the new server's reference, or `{reservation_id}` when asked for. */
export const CreateServerResponse = {
  202: Closed({
    server: Opt(Closed({ id: Type.String(), links: Links, 'OS-DCF:diskConfig': Any, security_groups: Opt(Type.Array(Closed({ name: Any }))), adminPass: Opt(Any) })),
    reservation_id: Opt(Any),
  }),
}
/** `GET /servers`. */
export const ServerSummaryListResponse = { 200: Closed({ servers: Type.Array(ServerSummary), servers_links: Opt(Links) }) }
/** `GET /servers/detail`. */
export const ServerDetailListResponse = { 200: Closed({ servers: Type.Array(ServerView), servers_links: Opt(Links) }) }
/** `GET /servers/{id}` and `PUT /servers/{id}`. */
export const ServerResponse = { 200: Closed({ server: ServerView }) }
