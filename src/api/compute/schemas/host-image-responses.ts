import { Type } from '@sinclair/typebox'
import { Any, Closed, Links, Opt } from './response-parts.js'

/**
 * Response schemas of the Nova image proxy (views/image-view.ts), os-services
 * (views/service-view.ts) and os-hypervisors (views/hypervisor-view.ts): only
 * the properties the views emit reach a client. Ids are integers or uuids by
 * microversion and `cpu_info` a string or an object, so leaves are `Any`.
 */
const ImageSummary = Closed({ id: Opt(Any), name: Opt(Any), links: Opt(Links) })
const Image = Closed({
  id: Opt(Any), name: Opt(Any), minRam: Opt(Any), minDisk: Opt(Any), metadata: Opt(Type.Record(Type.String(), Any)),
  created: Opt(Any), updated: Opt(Any), status: Opt(Any), progress: Opt(Any), 'OS-EXT-IMG-SIZE:size': Opt(Any), links: Opt(Links),
  server: Opt(Closed({ id: Any, links: Links })), 'OS-DCF:diskConfig': Opt(Any),
})

/** `GET /images` (proxy). */
export const ImageSummaryListResponse = { 200: Closed({ images: Type.Array(ImageSummary), images_links: Opt(Links) }) }
/** `GET /images/detail` (proxy). */
export const ImageDetailListResponse = { 200: Closed({ images: Type.Array(Image), images_links: Opt(Links) }) }
/** `GET /images/{id}` (proxy). */
export const ImageResponse = { 200: Closed({ image: Image }) }

const Service = Closed({
  id: Opt(Any), binary: Opt(Any), disabled_reason: Opt(Any), host: Opt(Any), state: Opt(Any), status: Opt(Any),
  updated_at: Opt(Any), zone: Opt(Any), forced_down: Opt(Any),
})
/** `GET /os-services`. */
export const ServiceListResponse = { 200: Closed({ services: Type.Array(Service) }) }
/** `PUT /os-services/{id}`: the full view from 2.53, `{host, binary, …}` of the action before. */
export const ServiceResponse = { 200: Closed({ service: Service }) }

const Hypervisor = Closed({
  id: Opt(Any), hypervisor_hostname: Opt(Any), state: Opt(Any), status: Opt(Any), hypervisor_type: Opt(Any), hypervisor_version: Opt(Any),
  host_ip: Opt(Any), service: Opt(Closed({ id: Opt(Any), host: Opt(Any), disabled_reason: Opt(Any) })), vcpus: Opt(Any), memory_mb: Opt(Any),
  local_gb: Opt(Any), vcpus_used: Opt(Any), memory_mb_used: Opt(Any), local_gb_used: Opt(Any), free_ram_mb: Opt(Any), free_disk_gb: Opt(Any),
  current_workload: Opt(Any), running_vms: Opt(Any), disk_available_least: Opt(Any), cpu_info: Opt(Any),
  servers: Opt(Type.Array(Closed({ name: Opt(Any), uuid: Opt(Any) }))),
})
/** `GET /os-hypervisors`, `/detail`, `/{pattern}/search`, `/{pattern}/servers`. */
export const HypervisorListResponse = { 200: Closed({ hypervisors: Type.Array(Hypervisor), hypervisors_links: Opt(Links) }) }
/** `GET /os-hypervisors/{id}`. */
export const HypervisorResponse = { 200: Closed({ hypervisor: Hypervisor }) }
/** `GET /os-hypervisors/statistics`. */
export const HypervisorStatisticsResponse = {
  200: Closed({
    hypervisor_statistics: Closed({
      count: Any, vcpus: Any, memory_mb: Any, local_gb: Any, vcpus_used: Any, memory_mb_used: Any, local_gb_used: Any,
      free_ram_mb: Any, free_disk_gb: Any, current_workload: Any, running_vms: Any, disk_available_least: Any,
    }),
  }),
}

/** `GET/POST/PUT /images/{id}/metadata` (proxy): the image's custom properties. */
export const ImageMetadataResponse = { 200: Closed({ metadata: Type.Record(Type.String(), Any) }) }
/** `GET/PUT /images/{id}/metadata/{key}` (proxy). */
export const ImageMetaItemResponse = { 200: Closed({ meta: Type.Record(Type.String(), Any) }) }
