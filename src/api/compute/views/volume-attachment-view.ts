import { isAtLeast, type Microversion } from '../../common/microversion.js'
import type { BdmRow } from '../../../services/compute/instance-store.js'

/** One `os-volume_attachments` entry: `tag` from 2.70, `delete_on_termination` from 2.79. */
export function attachmentView(bdm: BdmRow, serverId: string, v: Microversion) {
  return {
    id: bdm.volume_id!, serverId, volumeId: bdm.volume_id!, device: bdm.device_name,
    ...(isAtLeast(v, '2.70') ? { tag: bdm.tag } : {}),
    ...(isAtLeast(v, '2.79') ? { delete_on_termination: bdm.delete_on_termination === 1 } : {}),
  }
}
