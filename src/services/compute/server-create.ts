import { randomBytes, randomUUID } from 'node:crypto'
import type { CreateServerDeps } from './ports.js'
import type { CallContext } from './call-context.js'
import { actionContext } from './call-context.js'
import { Conflict, InvalidRequest, NotFound, onNotFound } from '../errors.js'
import { planBlockDeviceMappings, deviceNameAt, type BdmRequest } from './block-device-mappings.js'
import { recordAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import type { FlavorSnapshot } from './instance-store.js'
import { nowIso } from '../time.js'
import { availableZones } from './compute-hosts.js'
import { authorize, scopedProjectId } from '../policy.js'
import { allowedInstanceCount, checkMetadataQuota, checkServerGroupMembersQuota } from './compute-quotas.js'
import { findServerGroup } from './server-group-service.js'
import { ServerGroupHintNotFound } from './server-group-errors.js'
import { lockProjectQuotas } from '../quotas/quota-store.js'
import { planServerNics, portLimitedCount, type NetworkPlan, type RequestedNetworks } from './server-networks.js'

/** A validated `POST /servers` body, in the service's words. */
export interface CreateServerInput {
  name: string
  imageRef: string | null
  flavorRef: string
  adminPass?: string
  metadata?: Record<string, string>
  userData?: string | null
  keyName?: string | null
  availabilityZone?: string | null
  networks?: RequestedNetworks
  securityGroups?: string[]
  blockDeviceMappings?: BdmRequest[]
  configDrive?: boolean
  description?: string | null
  tags?: string[]
  accessIPv4?: string | null
  accessIPv6?: string | null
  minCount?: number
  maxCount?: number
  hostname?: string | null
  /** The scheduler hint `group`: the server group the servers join. */
  group?: string | null
}

/** What `POST /servers` answers with. */
export interface CreatedServer {
  id: string
  adminPass: string
  reservationId: string
  securityGroups: string[]
}

/** A random password like Nova's `utils.generate_password` (12 characters, no look-alikes). */
export function generateAdminPass(length = 12): string {
  const symbols = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'
  const bytes = randomBytes(length)
  return Array.from(bytes, (b) => symbols[b % symbols.length]).join('')
}

function hostnameFrom(name: string): string {
  const cleaned = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63)
  return cleaned || 'server'
}

function extractFlavorId(flavorRef: string): string {
  const trimmed = flavorRef.replace(/\/+$/, '')
  return trimmed.includes('/') ? trimmed.slice(trimmed.lastIndexOf('/') + 1) : trimmed
}

/**
 * `POST /servers`: checks everything a client can get wrong (400/404/409
 * with nothing written), then writes the instance, its mappings, metadata,
 * tags, groups and the `create` action in one transaction. Scheduling and
 * building happen after the answer (the conductor).
 */
export async function createServer(deps: CreateServerDeps, call: CallContext, input: CreateServerInput): Promise<CreatedServer[]> {
  const auth = authorize(call.auth, 'os_compute_api:servers:create', 'member')
  const projectId = scopedProjectId(auth, 'os_compute_api:servers:create')
  const flavor = await deps.flavors.getFlavor(auth, extractFlavorId(input.flavorRef)).catch(onNotFound(() => new InvalidRequest(`Flavor ${input.flavorRef} could not be found.`)))
  if (flavor.disabled) throw new InvalidRequest(`Flavor ${flavor.id} is disabled and cannot be used.`)
  const zone = input.availabilityZone ?? null
  // Nova checks the zone only without a forced host (`zone:host`): it must be one an enabled host is in.
  if (zone !== null && zone !== '' && !zone.includes(':') && !(await availableZones(deps.db)).includes(zone)) {
    throw new InvalidRequest('The requested availability zone is not available')
  }
  const bdms = planBlockDeviceMappings(input.blockDeviceMappings ?? [], input.imageRef || null)
  const root = bdms[0]!
  const volumeBacked = root.destinationType === 'volume'
  const imageId = input.imageRef || (root.sourceType === 'image' ? root.imageId : null)
  let imageProperties: Record<string, string> = {}
  let imageMinDisk = 0
  if (imageId) {
    const image = await deps.images.getImage(auth, imageId).catch((error: unknown) => {
      if (!(error instanceof NotFound)) throw error
      // nova/compute/api.py: an imageRef not found is ImageNotFound; a boot volume's image InvalidBDMImage.
      throw new InvalidRequest(input.imageRef ? `Image ${imageId} could not be found.` : `Block Device Mapping is Invalid: failed to get image ${imageId}.`)
    })
    if (image.status !== 'active') throw new InvalidRequest(`Image ${imageId} is not active.`)
    if (image.minRam > flavor.ram) throw new InvalidRequest("Flavor's memory is too small for requested image.")
    imageMinDisk = image.minDisk
    if (!volumeBacked && flavor.disk > 0) {
      const needGb = Math.max(image.minDisk, Math.ceil((image.virtualSize ?? image.size ?? 0) / 1024 ** 3))
      if (needGb > flavor.disk) throw new InvalidRequest("Flavor's disk is too small for requested image.")
    }
    imageProperties = { ...image.properties }
    imageProperties.image_name = image.name ?? ''
  }
  for (const bdm of bdms) {
    if (bdm.sourceType === 'image' && bdm.imageId && bdm.imageId !== imageId) {
      const image = await deps.images.getImage(auth, bdm.imageId).catch(onNotFound(() => new InvalidRequest(`Block Device Mapping is Invalid: failed to get image ${bdm.imageId}.`)))
      if (image.status !== 'active') throw new InvalidRequest(`Image ${bdm.imageId} is not active.`)
    }
    if (bdm.sourceType === 'volume' && bdm.volumeId) {
      const volume = await deps.volumes.getVolume(auth, bdm.volumeId).catch(onNotFound(() => new InvalidRequest(`Block Device Mapping is Invalid: failed to get volume ${bdm.volumeId}.`)))
      if (volume.status !== 'available') throw new InvalidRequest(`Block Device Mapping is Invalid: Volume ${bdm.volumeId} status must be available`)
    }
    if (bdm.sourceType === 'snapshot' && bdm.snapshotId) {
      // Nova's _validate_bdm: a snapshot that can't be read (missing, another project's) is InvalidBDMSnapshot, a 400.
      await deps.volumes.getSnapshot(auth, bdm.snapshotId).catch(onNotFound(() => new InvalidRequest(`Block Device Mapping is Invalid: failed to get snapshot ${bdm.snapshotId}.`)))
    }
    if (bdm.destinationType === 'volume' && bdm.sourceType === 'image' && bdm.volumeSize !== null && bdm.volumeSize < imageMinDisk) {
      throw new InvalidRequest(`Volume size ${bdm.volumeSize}GB is smaller than the image's minimum disk ${imageMinDisk}GB.`)
    }
  }
  let keyData: string | null = null
  if (input.keyName) {
    const keypair = await deps.keypairs.findKeypair(auth.userId, input.keyName)
    if (!keypair) throw new InvalidRequest(`Invalid key_name provided.`)
    keyData = keypair.publicKey
  }
  if (input.userData) {
    if (!/^[A-Za-z0-9+/=\s]*$/.test(input.userData)) throw new InvalidRequest('User data needs to be valid base 64.')
  }
  const groupNames = input.securityGroups && input.securityGroups.length > 0 ? [...new Set(input.securityGroups)] : ['default']
  const defaultGroupId = await deps.securityGroups.ensureDefaultGroup(projectId)
  const groups = await deps.db.selectFrom('security_groups').select(['id', 'name']).where('project_id', '=', projectId).where('name', 'in', groupNames).execute()
  for (const name of groupNames) {
    const matches = groups.filter((g) => g.name === name).length
    if (matches === 0) throw new InvalidRequest(`Security group ${name} not found for project ${projectId}.`)
    // Neutron allows repeated names; Nova's _process_security_groups refuses to guess (NoUniqueMatch, 409).
    if (matches > 1) throw new Conflict(`Multiple security groups found matching '${name}'. Use an ID to be more specific.`)
  }
  void defaultGroupId
  const flavorSnapshot: FlavorSnapshot = {
    id: flavor.id, name: flavor.name, vcpus: flavor.vcpus, ram: flavor.ram, disk: flavor.disk, ephemeral: flavor.ephemeral,
    swap: flavor.swap, extraSpecs: flavor.extraSpecs,
  }
  // nova/compute/api.py _get_requested_instance_group: a group the caller can't see is a 400 InstanceGroupNotFound.
  const serverGroup = input.group ? await findServerGroup(deps.db, auth, input.group).catch(onNotFound(() => new ServerGroupHintNotFound(input.group!))) : null
  const minCount = input.minCount ?? 1
  const requestedMax = input.maxCount ?? minCount
  if (minCount > requestedMax) throw new InvalidRequest('min_count must be <= max_count')
  await checkMetadataQuota(deps.db, projectId, Object.keys(input.metadata ?? {}).length)
  if (requestedMax > 1 && bdms.some((b) => b.sourceType === 'volume')) {
    throw new InvalidRequest('Cannot attach one or more volumes to multiple instances')
  }
  // Nova checks the requested networks before anything is written; the ports come once the server has a host (the conductor).
  const networkPlan: NetworkPlan = { nics: await planServerNics(deps.network, auth, input.networks, requestedMax) }
  // Nova's port quota (validate_networks): 403 below min_count; max_count is cut to the free ports after the
  // instance quota check below, so that check's message names the count the caller asked for.
  const portsMax = await portLimitedCount(deps.network, projectId, networkPlan.nics, minCount, requestedMax)
  const reservationId = `r-${randomBytes(4).toString('hex')}`
  const created: CreatedServer[] = []
  const now = nowIso()
  const systemMetadata: Record<string, string> = { image_base_image_ref: imageId ?? '' }
  for (const [key, value] of Object.entries(imageProperties)) systemMetadata[`image_${key}`] = value
  await deps.db.transaction().execute(async (trx) => {
    // Count and insert under the project's quota lock: concurrent creates can't both take the last places.
    await lockProjectQuotas(trx, projectId)
    const maxCount = Math.min(portsMax, await allowedInstanceCount(trx, projectId, auth.userId, flavor, minCount, requestedMax))
    if (serverGroup) {
      // Read again under the lock: a group deleted since is still a 400, never a foreign-key failure.
      await findServerGroup(trx, auth, serverGroup.id).catch(onNotFound(() => new ServerGroupHintNotFound(serverGroup.id)))
      await checkServerGroupMembersQuota(trx, projectId, auth.userId, serverGroup.id, maxCount)
    }
    for (let index = 0; index < maxCount; index++) {
      const uuid = randomUUID()
      const name = maxCount > 1 ? `${input.name}-${index + 1}` : input.name
      await trx.insertInto('instances').values({
        uuid, project_id: projectId, user_id: auth.userId, display_name: name, display_description: input.description ?? null,
        hostname: input.hostname ?? hostnameFrom(name), image_ref: input.imageRef || (volumeBacked ? '' : imageId),
        flavor: JSON.stringify(flavorSnapshot), key_name: input.keyName ?? null, key_data: keyData, user_data: input.userData ?? null,
        availability_zone: zone || null, host: null, node: null, vm_state: VmState.BUILDING, task_state: TaskState.SCHEDULING,
        power_state: 0, locked: 0, locked_by: null, locked_reason: null, config_drive: input.configDrive ? 'True' : '',
        access_ip_v4: input.accessIPv4 ?? null, access_ip_v6: input.accessIPv6 ?? null, networks: JSON.stringify(networkPlan),
        root_device_name: '/dev/vda', reservation_id: reservationId, launch_index: index, system_metadata: JSON.stringify(systemMetadata),
        rescue: null, progress: 0, launched_at: null, terminated_at: null, created_at: now, updated_at: now, deleted_at: null, deleted: 0,
      }).execute()
      let position = 0
      for (const bdm of bdms) {
        await trx.insertInto('block_device_mappings').values({
          id: randomUUID(), instance_uuid: uuid, position, boot_index: bdm.bootIndex, source_type: bdm.sourceType,
          destination_type: bdm.destinationType, device_type: bdm.deviceType,
          disk_bus: bdm.diskBus ?? (bdm.deviceType === 'cdrom' ? 'ide' : imageProperties.hw_disk_bus ?? 'virtio'),
          device_name: deviceNameAt(position), guest_format: bdm.guestFormat, image_id: bdm.imageId, volume_id: bdm.volumeId,
          snapshot_id: bdm.snapshotId, volume_size: bdm.volumeSize, delete_on_termination: bdm.deleteOnTermination ? 1 : 0,
          attachment_id: null, tag: bdm.tag, created_at: now,
        }).execute()
        position++
      }
      for (const [key, value] of Object.entries(input.metadata ?? {})) {
        await trx.insertInto('instance_metadata').values({ instance_uuid: uuid, key, value }).execute()
      }
      for (const tag of new Set(input.tags ?? [])) await trx.insertInto('instance_tags').values({ instance_uuid: uuid, tag }).execute()
      for (const group of groups) await trx.insertInto('instance_security_groups').values({ instance_uuid: uuid, group_id: group.id }).execute()
      if (serverGroup) await trx.insertInto('server_group_members').values({ group_id: serverGroup.id, instance_uuid: uuid, created_at: now }).execute()
      await recordAction(trx, uuid, 'create', actionContext(call))
      created.push({ id: uuid, adminPass: input.adminPass ?? generateAdminPass(), reservationId, securityGroups: groups.map((g) => g.name) })
    }
  })
  return created
}
