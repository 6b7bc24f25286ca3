import type { RescueDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { actionContext, type CallContext } from './call-context.js'
import { InvalidRequest, onNotFound } from '../errors.js'
import { isVolumeBacked } from './instance-store.js'
import { assertOnHost, claimTaskState, guardInstanceDetails, RULE_PARTS } from './instance-guards.js'
import { recordAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { generateAdminPass } from './server-create.js'
import { checkMetadataQuota } from './compute-quotas.js'

/** The vm_states Nova's `rebuild` accepts (nova/compute/api.py `check_instance_state`). */
export const REBUILDABLE_STATES: readonly string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR]

/** A rebuild request, after the route read the body for its microversion (absent: unchanged). */
export interface RebuildRequest {
  imageRef: string
  name?: string
  adminPass?: string
  /** Replaces every metadata item when given. */
  metadata?: Record<string, string>
  accessIPv4?: string | null
  accessIPv6?: string | null
  description?: string | null
  /** 2.54: a keypair's name, or null to remove the server's key. */
  keyName?: string | null
  /** 2.57: base64 user data, or null to remove it. */
  userData?: string | null
  hostname?: string
  /** 2.63: certificate ids to verify the image with (null: none). */
  trustedCerts?: string[] | null
  /** Nova's `preserve_ephemeral`: the ephemeral disks keep their data. */
  preserveEphemeral?: boolean
}

/**
 * `rebuild`: Nova's checks in its order (lock, state, image, volume-backed
 * rule, flavor fit, key, metadata quota), then one transaction: task_state
 * `rebuilding`, the server's new image, name, metadata, keys and user data,
 * the `rebuild` action and the task. The agent then recreates the root disk
 * from the new image (and the config drive) and boots it. Answers the password.
 */
export async function rebuildServer(deps: RescueDeps, tasks: TaskQueue, call: CallContext, instanceId: string, request: RebuildRequest): Promise<{ adminPass: string }> {
  const { auth, details } = await guardInstanceDetails(deps.db, call, instanceId, { policy: 'os_compute_api:servers:rebuild', action: 'rebuild', vmStates: REBUILDABLE_STATES }, RULE_PARTS)
  const instance = details.row
  // A server that never reached a host has no disk to rebuild (Nova would need a new schedule).
  assertOnHost(instance, 'rebuild')
  // nova/api/openstack/compute/servers.py: ImageNotFound during rebuild is a 400 with this text.
  const image = await deps.images.getImage(auth, request.imageRef).catch(onNotFound(() => new InvalidRequest('Cannot find image for rebuild')))
  const system = JSON.parse(instance.system_metadata) as Record<string, string>
  const volumeBacked = isVolumeBacked(details.bdms)
  const originalImage = instance.image_ref || system.image_base_image_ref || ''
  if (volumeBacked && image.id !== originalImage) {
    throw new InvalidRequest(`Image ${image.id} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`)
  }
  // Nova's rebuild: certificate validation is not supported for volume-backed servers (CertificateValidationFailed, 400).
  if (volumeBacked && request.trustedCerts && request.trustedCerts.length > 0) throw new InvalidRequest('Image certificate validation is not supported for volume-backed instances.')
  if (image.status !== 'active') throw new InvalidRequest(`Image ${image.id} is not active.`)
  const flavor = details.flavor
  if (image.minRam > flavor.ram) throw new InvalidRequest("Flavor's memory is too small for requested image.")
  if (!volumeBacked && flavor.disk > 0) {
    const needGb = Math.max(image.minDisk, Math.ceil((image.virtualSize ?? image.size ?? 0) / 1024 ** 3))
    if (needGb > flavor.disk) throw new InvalidRequest("Flavor's disk is too small for requested image.")
  }
  let keyData: string | null | undefined
  if (request.keyName === null) keyData = null
  else if (request.keyName !== undefined) {
    const keypair = await deps.keypairs.findKeypair(auth.userId, request.keyName)
    if (!keypair) throw new InvalidRequest('Invalid key_name provided.')
    keyData = keypair.publicKey
  }
  if (request.userData && !/^[A-Za-z0-9+/=\s]*$/.test(request.userData)) throw new InvalidRequest('User data needs to be valid base 64.')
  if (request.metadata) await checkMetadataQuota(deps.db, instance.project_id, Object.keys(request.metadata).length)
  const adminPass = request.adminPass ?? generateAdminPass()
  // The new image's properties replace the old ones (Nova resets the image_* system metadata on rebuild).
  const newSystem: Record<string, string> = Object.fromEntries(Object.entries(system).filter(([key]) => !key.startsWith('image_')))
  newSystem.image_base_image_ref = image.id
  for (const [key, value] of Object.entries({ ...image.properties, image_name: image.name ?? '' })) newSystem[`image_${key}`] = value
  const changes = {
    system_metadata: JSON.stringify(newSystem),
    ...(volumeBacked ? {} : { image_ref: image.id }),
    ...(request.name !== undefined ? { display_name: request.name } : {}),
    ...(request.description !== undefined ? { display_description: request.description } : {}),
    ...(request.accessIPv4 !== undefined ? { access_ip_v4: request.accessIPv4 } : {}),
    ...(request.accessIPv6 !== undefined ? { access_ip_v6: request.accessIPv6 } : {}),
    ...(keyData !== undefined ? { key_name: request.keyName ?? null, key_data: keyData } : {}),
    ...(request.userData !== undefined ? { user_data: request.userData } : {}),
    ...(request.hostname !== undefined ? { hostname: request.hostname } : {}),
  }
  await deps.db.transaction().execute(async (trx) => {
    await claimTaskState(trx, instance, 'rebuild', TaskState.REBUILDING, changes)
    if (!volumeBacked) {
      await trx.updateTable('block_device_mappings').set({ image_id: image.id })
        .where('instance_uuid', '=', instance.uuid).where('boot_index', '=', 0).where('source_type', '=', 'image').where('destination_type', '=', 'local').execute()
    }
    if (request.metadata) {
      await trx.deleteFrom('instance_metadata').where('instance_uuid', '=', instance.uuid).execute()
      for (const [key, value] of Object.entries(request.metadata)) await trx.insertInto('instance_metadata').values({ instance_uuid: instance.uuid, key, value }).execute()
    }
    const actionId = await recordAction(trx, instance.uuid, 'rebuild', actionContext(call))
    await tasks.enqueue(trx, {
      instanceUuid: instance.uuid, host: instance.host, actionId,
      task: { kind: 'rebuild', imageId: image.id, previousVmState: instance.vm_state, ...(request.preserveEphemeral ? { preserveEphemeral: true } : {}) },
    })
  })
  tasks.notify(instance.host)
  return { adminPass }
}
