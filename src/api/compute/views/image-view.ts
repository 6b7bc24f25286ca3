import type { ImageRecord } from '../../../services/image/image-service.js'
import { novaTime } from '../../../services/time.js'
import { resourceLinks, type Link } from './resource-links.js'
import { isTrueString } from '../../../util/bool-string.js'

// nova/api/openstack/compute/views/images.py _get_status and _get_progress.
const STATUS: Record<string, string> = {
  active: 'ACTIVE', queued: 'SAVING', saving: 'SAVING', deleted: 'DELETED', pending_delete: 'DELETED', killed: 'ERROR',
}
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 }

function imageLinks(base: string, imageBase: string, id: string): Link[] {
  return [...resourceLinks(base, 'images', id), { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${imageBase}/images/${id}` }]
}

/** `{id, name, links}` of `GET /images`; `imageBase` is the image service's URL (`http://h/image`). */
export function imageSummaryView(image: ImageRecord, base: string, imageBase: string) {
  return { id: image.id, name: image.name, links: imageLinks(base, imageBase, image.id) }
}

/** An image as Nova's proxy shows it: upper-case status, progress, custom properties as `metadata`, the server it came from. */
export function imageView(image: ImageRecord, base: string, imageBase: string) {
  const view: Record<string, unknown> = {
    id: image.id,
    name: image.name,
    minRam: image.minRam,
    minDisk: image.minDisk,
    metadata: image.properties,
    created: novaTime(image.createdAt),
    updated: novaTime(image.updatedAt),
    status: STATUS[image.status] ?? 'UNKNOWN',
    progress: PROGRESS[image.status] ?? 0,
    'OS-EXT-IMG-SIZE:size': image.size,
    links: imageLinks(base, imageBase, image.id),
  }
  const instanceUuid = image.properties.instance_uuid
  if (instanceUuid !== undefined) view.server = { id: instanceUuid, links: resourceLinks(base, 'servers', instanceUuid) }
  const autoDiskConfig = image.properties.auto_disk_config
  if (autoDiskConfig !== undefined) view['OS-DCF:diskConfig'] = isTrueString(autoDiskConfig) ? 'AUTO' : 'MANUAL'
  return view
}
